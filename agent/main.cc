#include <cstdio>

int main() {
  std::puts("sluice: under construction");
  return 0;
}
