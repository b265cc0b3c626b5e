/* lib/store_file.c: being written */
