#include "bot/cli.hpp"

int main(int argc, char** argv) { return sapo::run_cli(argc, argv); }
