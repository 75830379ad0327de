/* pidfile.c: the server's pid file (see pidfile.h). The file is written
 * to a temporary name and renamed, so a reader never sees half a number;
 * before signalling, /proc/PID/comm must name vern, so a stale file whose
 * pid was reused by another program is never acted on. */
#include "pidfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int pid_path(const char *data_dir, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/vern.pid", data_dir) < (int)size ? 0 : -1;
}

int pidfile_write(const char *data_dir, char *err, size_t errsize)
{
	char path[1024], tmp[1100];
	if (pid_path(data_dir, path, sizeof(path)) != 0) {
		snprintf(err, errsize, "data_dir is too long");
		return -1;
	}
	if (mkdir(data_dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errsize, "cannot create %s: %s", data_dir, strerror(errno));
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errsize, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	int ok = fprintf(f, "%ld\n", (long)getpid()) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errsize, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static long read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long pid = -1;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1)
		pid = -1;
	fclose(f);
	return pid;
}

void pidfile_remove(const char *data_dir)
{
	char path[1024];
	if (pid_path(data_dir, path, sizeof(path)) == 0 && read_pid(path) == (long)getpid())
		unlink(path);
}

int pidfile_signal(const char *data_dir, int sig, long *pid, char *err, size_t errsize)
{
	char path[1024], comm_path[64], comm[64] = "";
	if (pid_path(data_dir, path, sizeof(path)) != 0) {
		snprintf(err, errsize, "data_dir is too long");
		return -1;
	}
	*pid = read_pid(path);
	if (*pid < 0) {
		snprintf(err, errsize, "no running server found (no %s)", path);
		return -1;
	}
	snprintf(comm_path, sizeof(comm_path), "/proc/%ld/comm", *pid);
	FILE *f = fopen(comm_path, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (strncmp(comm, "vern", 4) != 0) {
		snprintf(err, errsize, "no running server found (process %ld from %s is gone)", *pid, path);
		return -1;
	}
	if (kill((pid_t)*pid, sig) != 0) {
		snprintf(err, errsize, "cannot signal process %ld: %s", *pid, strerror(errno));
		return -1;
	}
	return 0;
}
