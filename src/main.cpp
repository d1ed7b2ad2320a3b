#include "lp/app/app.hpp"

int main(int argc, char** argv) { return lp::app::Main(argc, argv); }
