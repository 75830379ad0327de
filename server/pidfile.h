/* pidfile.h: DATA_DIR/vern.pid, the running server's process id, so
 * commands such as `vern plugins reload` can signal it. */
#ifndef VERN_PIDFILE_H
#define VERN_PIDFILE_H

#include <stddef.h>

/* Writes our pid to data_dir/vern.pid (creating data_dir if needed).
 * Returns 0 or -1 with err set. */
int pidfile_write(const char *data_dir, char *err, size_t errsize);

/* Removes the file if it still holds our pid. */
void pidfile_remove(const char *data_dir);

/* Sends sig to the server named in data_dir/vern.pid, after checking that
 * the process is a running vern. Returns 0 with *pid set, or -1 with err
 * set (no file, no such process, not vern, no permission). */
int pidfile_signal(const char *data_dir, int sig, long *pid, char *err, size_t errsize);

#endif
