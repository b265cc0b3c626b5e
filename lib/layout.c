/* lib/layout.c: being written */
