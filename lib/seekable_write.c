/* lib/seekable_write.c: being written */
