/* lib/capture.c: being written */
