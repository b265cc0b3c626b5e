/* lib/store.c: being written */
