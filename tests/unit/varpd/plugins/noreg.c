/* A shared object that is not a varpd plugin (no register symbol). */
int not_a_plugin(void);
int not_a_plugin(void) { return 42; }
