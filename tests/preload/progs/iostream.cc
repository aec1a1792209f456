// Pieces of one line written by several operator<< calls must make one event.
#include <iostream>

int main() {
  std::cerr << "answer " << 42 << ' ' << 2.5 << '\n';
  std::cerr << "second" << " line" << std::endl;
  std::cout << "out " << 1 << std::endl;
  std::cout << "out " << 2 << '\n';
  return 0;
}
