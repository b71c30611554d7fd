#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <csignal>

int main(int argc, char* argv[]) {
  // As in the agent: a peer that went away is an EPIPE from write(), not a signal that kills the test (the test
  // drain answers connections that a killed agent left behind).
  std::signal(SIGPIPE, SIG_IGN);
  return Catch::Session().run(argc, argv);
}
