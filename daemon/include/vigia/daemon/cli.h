// The `vigia` command line. main() only calls this.
#pragma once

namespace vigia::daemon {

int main(int argc, char** argv);

}  // namespace vigia::daemon
