int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n); int main(void){return 0;}
