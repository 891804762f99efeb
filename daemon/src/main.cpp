#include "vigia/daemon/cli.h"

int main(int argc, char** argv) { return vigia::daemon::main(argc, argv); }
