/* bin/cli.c: being written */
