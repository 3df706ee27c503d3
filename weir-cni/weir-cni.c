// weir-cni: the CNI plugin a container runtime calls for each pod. It is a relay: the weir agent of the
// node does the work (veth, addresses, IPAM, endpoint, policy) and writes the CNI result. The relay
// answers VERSION itself, forwards every other command with its CNI_* environment and network
// configuration to the agent's CNI socket, and prints what the agent answers, with its exit code.
//
// Usage (as `weir install-cni` writes it): weir-cni-relay SOCKET, with the CNI environment and the network
// configuration on stdin. Wire format on SOCKET, one request per connection:
//   request:  "NAME=VALUE\n" for each CNI_* variable, "\n", then the configuration until end of stream
//   response: "<exit code>\n", then the bytes to print on stdout until the agent closes
// An agent that cannot be reached is "try again later" (CNI error code 11).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define VERSIONS "{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\"]}\n"

extern char **environ;

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

// A CNI error result on stdout (the spec's error JSON); msg and detail hold no characters that need escaping.
static int fail(int code, const char *msg, const char *detail)
{
    printf("{\"cniVersion\":\"1.0.0\",\"code\":%d,\"msg\":\"%s\",\"details\":\"%s\"}\n", code, msg, detail);
    return 1;
}

int main(int argc, char **argv)
{
    const char *command = getenv("CNI_COMMAND");
    if (command != NULL && strcmp(command, "VERSION") == 0) {
        char sink[4096];
        while (read(STDIN_FILENO, sink, sizeof(sink)) > 0)
            ;	/* the runtime writes the configuration: take it before answering */
        fputs(VERSIONS, stdout);
        return 0;
    }
    if (argc != 2 || strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return fail(7, "weir-cni is installed wrongly", "the relay needs the agent's CNI socket as its argument");

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, argv[1]);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        return fail(11, "try again later: the weir agent of this node is not running", strerror(errno));

    for (char **e = environ; *e != NULL; e++) {
        if (strncmp(*e, "CNI_", 4) == 0 && strchr(*e, '\n') == NULL) {
            if (write_all(fd, *e, strlen(*e)) < 0 || write_all(fd, "\n", 1) < 0)
                return fail(11, "try again later: the weir agent closed the connection", strerror(errno));
        }
    }
    if (write_all(fd, "\n", 1) < 0)
        return fail(11, "try again later: the weir agent closed the connection", strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(5, "cannot read the network configuration", strerror(errno));
        }
        if (write_all(fd, buf, (size_t)n) < 0)
            return fail(11, "try again later: the weir agent closed the connection", strerror(errno));
    }
    shutdown(fd, SHUT_WR);

    // "<exit code>\n", then stdout
    int code = -1;
    size_t have = 0;
    int header = 1;
    while ((n = read(fd, buf + have, sizeof(buf) - have)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(11, "try again later: lost the weir agent while it worked", strerror(errno));
        }
        have += (size_t)n;
        if (header) {
            char *nl = memchr(buf, '\n', have);
            if (nl == NULL) {
                if (have == sizeof(buf))
                    return fail(5, "the weir agent answered garbage", "no exit code");
                continue;
            }
            *nl = '\0';
            code = atoi(buf);
            header = 0;
            size_t rest = have - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            have = rest;
        }
        if (write_all(STDOUT_FILENO, buf, have) < 0)
            return 1;
        have = 0;
    }
    if (header)
        return fail(11, "try again later: the weir agent closed the connection before it answered", "");
    return code;
}
