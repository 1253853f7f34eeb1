#include "app/run.h"

extern char** environ;

int main(int argc, char** argv) { return farrier::Run(argc, argv, environ); }
