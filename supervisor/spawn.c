/*
 * Spawning one worker process from its plugin's configuration: resolving
 * the command, building its clean environment with its secrets, its user
 * and group, its rlimits and workdir, and the child side of fork and exec.
 * An exec failure comes back through a close-on-exec report pipe; what the
 * process then does is the worker's business (worker.c).
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

struct spawn_ids {
	int	 ids_set;
	uid_t	 ids_uid;
	gid_t	 ids_gid;
};

/* Formats a candidate path; 1 when it fits and names an executable. */
static int __attribute__((format(printf, 3, 4)))
spawn_try(char *out, size_t outlen, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < outlen && access(out, X_OK) == 0;
}

/*
 * Finds a bare command beside the daemon, in a build tree, in PATH, then
 * in $(libexecdir)/nebula; a command with a slash is taken as it is.  0
 * with the path in out when it is executable, else -1.  nebula-plugind -t
 * checks commands with it too.
 */
int
spawn_resolve(const char *cmd, char *out, size_t outlen)
{
	char		 self[PATH_MAX], *slash, *path, *dir, *save = NULL;
	ssize_t		 n;
	const char	*env;

	if (strchr(cmd, '/') != NULL) {
		snprintf(out, outlen, "%s", cmd);
		return access(out, X_OK);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (spawn_try(out, outlen, "%s/%s", self, cmd))
				return 0;
			if (strncmp(cmd, "nebula-", 7) == 0 &&
			    spawn_try(out, outlen, "%s/../plugins/%s/%s", self,
			    cmd + 7, cmd))
				return 0;
		}
	}
	if ((env = getenv("PATH")) == NULL)
		env = "/usr/local/bin:/usr/bin:/bin";
	if ((path = strdup(env)) == NULL)
		return -1;
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save))
		if (spawn_try(out, outlen, "%s/%s", *dir ? dir : ".", cmd)) {
			free(path);
			return 0;
		}
	free(path);
	/* Last, where make install puts the shipped plugins. */
	if (spawn_try(out, outlen, "%s/nebula/%s", NP_LIBEXECDIR, cmd))
		return 0;
	return -1;
}

static char *
spawn_read_secret(const char *path, char *err, size_t errlen)
{
	FILE	*fp;
	char	*data = NULL;
	size_t	 cap = 0, len = 0, n;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read secret %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(data, cap + 4096 + 1);

			if (p == NULL)
				break;
			data = p;
			cap += 4096;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0 || len > 1024 * 1024)
			break;
	}
	fclose(fp);
	if (data == NULL) {
		snprintf(err, errlen, "cannot read secret %s", path);
		return NULL;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	data[len] = '\0';
	return data;
}

static void
spawn_free_env(char **envp)
{
	size_t	 i;

	if (envp == NULL)
		return;
	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/*
 * The worker's environment: PATH, the sanitizer options when set (for the
 * project's own test builds), the configured env and the secrets.
 */
static char **
spawn_build_env(const struct plugin_conf *pc, char *err, size_t errlen)
{
	static const char *const pass[] = {
		"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"
	};
	char		**envp;
	const char	 *v;
	char		 *secret;
	size_t		  i, n = 0, cap;

	cap = sizeof(pass) / sizeof(pass[0]) + pc->pc_nenv + pc->pc_nsecrets +
	    1;
	if ((envp = calloc(cap, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		v = getenv(pass[i]);
		if (v == NULL && i == 0)
			v = "/usr/local/bin:/usr/bin:/bin";
		if (v != NULL && asprintf(&envp[n++], "%s=%s", pass[i], v) == -1)
			goto fail;
	}
	for (i = 0; i < pc->pc_nenv; i++)
		if (asprintf(&envp[n++], "%s=%s", pc->pc_env[i].env_name,
		    pc->pc_env[i].env_value) == -1)
			goto fail;
	for (i = 0; i < pc->pc_nsecrets; i++) {
		secret = spawn_read_secret(pc->pc_secrets[i].env_value, err,
		    errlen);
		if (secret == NULL)
			goto fail;
		if (asprintf(&envp[n++], "%s=%s", pc->pc_secrets[i].env_name,
		    secret) == -1) {
			free(secret);
			goto fail;
		}
		free(secret);
	}
	return envp;
fail:
	envp[n > 0 ? n - 1 : 0] = NULL;
	spawn_free_env(envp);
	if (err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	return NULL;
}

static int
spawn_resolve_ids(const struct plugin_conf *pc, struct spawn_ids *ids,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	memset(ids, 0, sizeof(*ids));
	if (pc->pc_user == NULL && pc->pc_group == NULL)
		return 0;
	if (geteuid() != 0)
		return 0;	/* only root can switch; documented */
	ids->ids_set = 1;
	if (pc->pc_user != NULL) {
		if ((pw = getpwnam(pc->pc_user)) == NULL) {
			snprintf(err, errlen, "unknown user %s", pc->pc_user);
			return -1;
		}
		ids->ids_uid = pw->pw_uid;
		ids->ids_gid = pw->pw_gid;
	}
	if (pc->pc_group != NULL) {
		if ((gr = getgrnam(pc->pc_group)) == NULL) {
			snprintf(err, errlen, "unknown group %s", pc->pc_group);
			return -1;
		}
		ids->ids_gid = gr->gr_gid;
	}
	return 0;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
spawn_child(const struct plugin_conf *pc, const char *path, char **envp,
    const struct spawn_ids *ids, const int fds[3], int execfd)
{
	struct rlimit	 rl;
	sigset_t	 all;
	int		 sig, e;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (dup2(fds[0], 0) == -1 || dup2(fds[1], 1) == -1 ||
	    dup2(fds[2], 2) == -1)
		goto fail;
	if (pc->pc_rl_as != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_as;
		if (setrlimit(RLIMIT_AS, &rl) == -1)
			goto fail;
	}
	if (pc->pc_rl_nofile != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			goto fail;
	}
	if (pc->pc_rl_cpu != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_cpu;
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			goto fail;
	}
	if (pc->pc_workdir != NULL && chdir(pc->pc_workdir) == -1)
		goto fail;
	if (ids->ids_set) {
		if (setgroups(1, &ids->ids_gid) == -1 ||
		    setgid(ids->ids_gid) == -1 || setuid(ids->ids_uid) == -1)
			goto fail;
	}
	execve(path, pc->pc_argv, envp);
fail:
	e = errno;
	if (write(execfd, &e, sizeof(e)) == -1)
		_exit(126);
	_exit(127);
}

static void
spawn_close_pair(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	p[0] = p[1] = -1;
}

/*
 * Starts the plugin's command in its own process group.  On success fds
 * holds the parent's ends, non-blocking and close-on-exec: [0] its stdin
 * (to write), [1] its stdout, [2] its stderr, [3] the exec report (see
 * spawn_report); path the program run.  On failure -1 and err says why.
 */
pid_t
spawn_start(const struct plugin_conf *pc, int fds[4], char *path,
    size_t pathlen, char *err, size_t errlen)
{
	struct spawn_ids	 ids;
	char			**envp = NULL;
	int			 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int			 errp[2] = { -1, -1 }, ex[2] = { -1, -1 };
	int			 child[3], i;
	pid_t			 pid;

	if (errlen > 0)
		err[0] = '\0';
	if (spawn_resolve(pc->pc_path, path, pathlen) == -1) {
		if (strchr(pc->pc_path, '/') != NULL)
			snprintf(err, errlen, "cannot execute %s: %s",
			    pc->pc_path, strerror(errno));
		else
			snprintf(err, errlen, "cannot execute %s: command "
			    "not found (looked beside the daemon, in PATH and in "
			    NP_LIBEXECDIR "/nebula)",
			    pc->pc_path);
		goto fail;
	}
	if ((envp = spawn_build_env(pc, err, errlen)) == NULL)
		goto fail;
	if (spawn_resolve_ids(pc, &ids, err, errlen) == -1)
		goto fail;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1 || pipe2(ex, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	child[0] = in[0];
	child[1] = out[1];
	child[2] = errp[1];
	log_flush();
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		spawn_child(pc, path, envp, &ids, child, ex[1]);
	setpgid(pid, pid);	/* both sides, so killpg never races */
	spawn_free_env(envp);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(ex[1]);
	fds[0] = in[1];
	fds[1] = out[0];
	fds[2] = errp[0];
	fds[3] = ex[0];
	for (i = 0; i < 4; i++)
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	return pid;
fail:
	spawn_free_env(envp);
	spawn_close_pair(in);
	spawn_close_pair(out);
	spawn_close_pair(errp);
	spawn_close_pair(ex);
	return -1;
}

/*
 * Reads the exec report once the child is gone: the errno that stopped
 * it before or at exec, or 0 when exec succeeded (the pipe just closed).
 */
int
spawn_report(int fd)
{
	int	 e;

	if (read(fd, &e, sizeof(e)) == (ssize_t)sizeof(e))
		return e == 0 ? EINVAL : e;
	return 0;
}
