/* lib/seekable_read.c: being written */
