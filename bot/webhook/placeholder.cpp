#include "flows/event.hpp"
