// Links against a symbol that nothing defines: dlopen with RTLD_NOW fails.
extern "C" int sluice_symbol_that_does_not_exist();
extern "C" __attribute__((visibility("default"))) int call_it() {
  return sluice_symbol_that_does_not_exist();
}
