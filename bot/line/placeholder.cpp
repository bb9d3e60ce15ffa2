#include "bot/line/client.hpp"
