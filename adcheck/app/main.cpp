#include <iostream>
int main() { std::cout << "adcheck\n"; return 0; }
