/*
 * netraw: the smallest native piece tandem needs, a raw link-layer (AF_PACKET) sender, adding or removing
 * one interface address over rtnetlink, and the two ioctls of the Linux watchdog API.
 *
 * Why native at all: Node.js has no AF_PACKET socket, and the alternative (`arping`) blocks one second per
 * packet and refuses to announce an address that is not configured yet (../shared/research/vrrp.md §B.4).
 * Everything protocol-shaped (the bytes of a gratuitous ARP or an unsolicited neighbour advertisement) is
 * built in TypeScript (src/platform/announce-frames.ts); this file only moves bytes.
 * Nor has Node.js a netlink socket: without one, moving a VIP costs an `ip addr add` / `ip addr del` process
 * each (~5 ms, nearly all of it spawning), on the critical path of a switchover. `addressAdd` and
 * `addressDelete` send the same RTM_NEWADDR / RTM_DELADDR request `ip` would and wait for the kernel's ack
 * (tens of microseconds).
 *
 * Invariants:
 *   1. Every socket is opened in the calling thread's network namespace and close-on-exec. The one send
 *      socket lives as long as the process (see `open_sender`); capture sockets are closed by the caller.
 *   2. Every failing system call becomes a JS exception: `code` is the errno name (EPERM, ENODEV, ...), the
 *      message is "<syscall>: <strerror>". Nothing is printed.
 *   3. Only `captureNext` and the address calls block. `captureNext` (poll with a timeout) exists for tests and
 *      diagnostics, never for the daemon's event loop. An address call is a NETLINK_ROUTE round trip, tens of
 *      microseconds: the kernel handles the request inside sendto, under the RTNL lock, and queues the ack
 *      before sendto returns; the wait for the ack is then bounded by `timeoutMs` (poll; ETIMEDOUT). What no
 *      timeout can bound is sendto waiting for an RTNL lock held elsewhere (a driver reconfiguring a NIC, a
 *      network namespace being torn down): `ip` would wait the same, in its own process.
 *   4. An address call opens its own NETLINK_ROUTE socket and closes it before returning (closing one is
 *      cheap, unlike AF_PACKET), so no stale answer or namespace can leak from one call into the next.
 *
 * Exports (N-API 8, plain node_api.h):
 *   interfaceInfo(name: string): { index: number, mac: Buffer }
 *   openSender(): undefined                                          opens the send socket now (EPERM surfaces early)
 *   sendFrames(ifindex: number, frames: Buffer[]): number            frames sent
 *   captureOpen(ifindex: number, ethertype: number): number          fd of a bound receive socket
 *   captureNext(fd: number, timeoutMs: number): { frame: Buffer, outgoing: boolean, monotonicNs: bigint } | null
 *   close(fd: number): undefined
 *   addressAdd(ifname: string, address: string, prefix: number, timeoutMs: number): 'added' | 'exists'
 *   addressDelete(ifname: string, address: string, prefix: number, timeoutMs: number): 'deleted' | 'absent'
 *
 *   watchdogSetTimeout(fd: number, seconds: number): number         ioctl(WDIOC_SETTIMEOUT): the timeout the driver set
 *   watchdogKeepalive(fd: number): undefined                        ioctl(WDIOC_KEEPALIVE)
 *
 * addressAdd is `ip addr add ADDR/PREFIX dev IF` + `brd +` (IPv4) or `nodad` (IPv6), scope global; EEXIST is
 * 'exists'. addressDelete is `ip addr del ADDR/PREFIX dev IF`; EADDRNOTAVAIL (no such address with that
 * prefix) is 'absent'. Any other kernel answer throws with the syscall "netlink RTM_NEWADDR" (or
 * RTM_DELADDR) and, when the kernel gave one, its extended-ack message; an unknown interface throws ENODEV
 * from if_nametoindex.
 *
 * The watchdog calls exist because Node.js has no ioctl: opening, writing and closing the device (including
 * the magic close) stay in TypeScript (src/fencing/watchdog.ts); only the two ioctls live here. Both work on
 * an fd the caller opened; on anything that is not a watchdog (a FIFO stand-in, /dev/null) they throw ENOTTY.
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/watchdog.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES_MAX 65536

/*
 * Throws an Error whose code is the errno name and whose message is "<syscall>: <strerror>", followed by
 * " (<detail>)" when there is one; always returns NULL so callers can `return fail(...)`.
 */
static napi_value fail_detail(napi_env env, const char *syscall, int err, const char *detail) {
  char message[512];
  char code[32];
  const char *name = strerrorname_np(err);
  if (name != NULL) snprintf(code, sizeof code, "%s", name);
  else snprintf(code, sizeof code, "E%d", err);
  if (detail != NULL && detail[0] != '\0') snprintf(message, sizeof message, "%s: %s (%s)", syscall, strerror(err), detail);
  else snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_throw_error(env, code, message);
  return NULL;
}

static napi_value fail(napi_env env, const char *syscall, int err) {
  return fail_detail(env, syscall, err, NULL);
}

static napi_value fail_args(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      bool pending = false;                                          \
      napi_is_exception_pending(env, &pending);                      \
      if (!pending) napi_throw_error(env, NULL, "N-API call failed"); \
      return NULL;                                                   \
    }                                                                \
  } while (0)

static bool get_int32(napi_env env, napi_value value, int32_t *out) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) return false;
  return napi_get_value_int32(env, value, out) == napi_ok;
}

static napi_value interface_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1]; /* one more than a name can use, so a longer string shows as too long */
  size_t length = 0;
  napi_valuetype type;
  CHECK(napi_typeof(env, argc > 0 ? argv[0] : NULL, &type));
  if (argc < 1 || type != napi_string) return fail_args(env, "interfaceInfo(name: string)");
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length));
  if (length == 0 || length > IFNAMSIZ - 1) return fail_args(env, "interfaceInfo: bad interface name");

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(env, "socket", errno);
  struct ifreq request;
  memset(&request, 0, sizeof request);
  memcpy(request.ifr_name, name, length);
  if (ioctl(fd, SIOCGIFINDEX, &request) < 0) {
    int err = errno;
    close(fd);
    return fail(env, "ioctl(SIOCGIFINDEX)", err);
  }
  int index = request.ifr_ifindex;
  if (ioctl(fd, SIOCGIFHWADDR, &request) < 0) {
    int err = errno;
    close(fd);
    return fail(env, "ioctl(SIOCGIFHWADDR)", err);
  }
  close(fd);

  napi_value result, index_value, mac_value;
  void *mac_data = NULL;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_int32(env, index, &index_value));
  CHECK(napi_create_buffer_copy(env, 6, request.ifr_hwaddr.sa_data, &mac_data, &mac_value));
  CHECK(napi_set_named_property(env, result, "index", index_value));
  CHECK(napi_set_named_property(env, result, "mac", mac_value));
  return result;
}

/*
 * One process-wide send socket, opened on first use and never closed: closing an AF_PACKET socket waits
 * for an RCU grace period (packet_release → synchronize_net), measured at 10-20 ms, which would block the
 * event loop on every announcement. Unbound and protocol 0, it receives nothing; each sendto names the
 * interface. It belongs to the network namespace the process was in when it was opened.
 */
static int sender_fd = -1;

static int open_sender(void) {
  if (sender_fd >= 0) return 0;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sender_fd = fd;
  return 0;
}

static napi_value open_sender_js(napi_env env, napi_callback_info info) {
  (void)info;
  int err = open_sender();
  if (err != 0) return fail(env, "socket(AF_PACKET)", err);
  return NULL;
}

static napi_value send_frames(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t ifindex = 0;
  bool is_array = false;
  if (argc < 2 || !get_int32(env, argv[0], &ifindex) || ifindex <= 0) return fail_args(env, "sendFrames(ifindex: number > 0, frames: Buffer[])");
  CHECK(napi_is_array(env, argv[1], &is_array));
  if (!is_array) return fail_args(env, "sendFrames: frames must be an array of Buffers");
  uint32_t count = 0;
  CHECK(napi_get_array_length(env, argv[1], &count));
  /* Validate every element before the first byte leaves, so a bad call sends nothing. */
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    bool is_buffer = false;
    size_t length = 0;
    void *data = NULL;
    CHECK(napi_get_element(env, argv[1], i, &element));
    CHECK(napi_is_buffer(env, element, &is_buffer));
    if (!is_buffer) return fail_args(env, "sendFrames: frames must be an array of Buffers");
    CHECK(napi_get_buffer_info(env, element, &data, &length));
    if (length < ETH_HLEN || length > FRAME_BYTES_MAX) return fail_args(env, "sendFrames: a frame must hold at least an Ethernet header (14 bytes)");
  }
  int err = open_sender();
  if (err != 0) return fail(env, "socket(AF_PACKET)", err);

  uint32_t sent = 0;
  for (; sent < count; sent++) {
    napi_value element;
    size_t length = 0;
    void *data = NULL;
    CHECK(napi_get_element(env, argv[1], sent, &element));
    CHECK(napi_get_buffer_info(env, element, &data, &length));
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    address.sll_family = AF_PACKET;
    address.sll_ifindex = ifindex;
    address.sll_halen = ETH_ALEN;
    memcpy(address.sll_addr, data, ETH_ALEN); /* the frame's own destination MAC */
    ssize_t written;
    do written = sendto(sender_fd, data, length, 0, (struct sockaddr *)&address, sizeof address);
    while (written < 0 && errno == EINTR);
    if (written < 0) return fail(env, "sendto(AF_PACKET)", errno);
  }
  napi_value result;
  CHECK(napi_create_uint32(env, sent, &result));
  return result;
}

static napi_value capture_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t ifindex = 0, ethertype = 0;
  if (argc < 2 || !get_int32(env, argv[0], &ifindex) || !get_int32(env, argv[1], &ethertype) || ifindex <= 0 || ethertype < 0 || ethertype > 0xffff)
    return fail_args(env, "captureOpen(ifindex: number > 0, ethertype: 0..0xffff)");
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons((uint16_t)ethertype));
  if (fd < 0) return fail(env, "socket(AF_PACKET)", errno);
  struct sockaddr_ll address;
  memset(&address, 0, sizeof address);
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons((uint16_t)ethertype);
  address.sll_ifindex = ifindex;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int err = errno;
    close(fd);
    return fail(env, "bind(AF_PACKET)", err);
  }
  napi_value result;
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

static napi_value capture_next(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, timeout_ms = 0;
  if (argc < 2 || !get_int32(env, argv[0], &fd) || !get_int32(env, argv[1], &timeout_ms) || fd < 0 || timeout_ms < 0)
    return fail_args(env, "captureNext(fd: number, timeoutMs: number >= 0)");
  struct pollfd waiting = {.fd = fd, .events = POLLIN, .revents = 0};
  int ready;
  do ready = poll(&waiting, 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return fail(env, "poll", errno);
  napi_value result;
  if (ready == 0) {
    CHECK(napi_get_null(env, &result));
    return result;
  }
  static unsigned char buffer[FRAME_BYTES_MAX];
  struct sockaddr_ll from;
  socklen_t from_length = sizeof from;
  ssize_t length;
  do length = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &from_length);
  while (length < 0 && errno == EINTR);
  if (length < 0) return fail(env, "recvfrom(AF_PACKET)", errno);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);

  napi_value frame, outgoing, stamp;
  void *data = NULL;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_buffer_copy(env, (size_t)length, buffer, &data, &frame));
  CHECK(napi_get_boolean(env, from.sll_pkttype == PACKET_OUTGOING, &outgoing));
  CHECK(napi_create_bigint_uint64(env, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec, &stamp));
  CHECK(napi_set_named_property(env, result, "frame", frame));
  CHECK(napi_set_named_property(env, result, "outgoing", outgoing));
  CHECK(napi_set_named_property(env, result, "monotonicNs", stamp));
  return result;
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || !get_int32(env, argv[0], &fd) || fd < 0) return fail_args(env, "close(fd: number)");
  if (close(fd) < 0) return fail(env, "close", errno);
  return NULL;
}

/* ---- interface addresses over rtnetlink ---- */

#define NETLINK_TIMEOUT_MS_MAX 60000

struct address_request {
  struct nlmsghdr header;
  struct ifaddrmsg message;
  /* IFA_LOCAL, IFA_ADDRESS, IFA_BROADCAST: 3 × RTA_SPACE(16) = 60 bytes at most. */
  unsigned char attributes[128];
};

static void add_attribute(struct address_request *request, unsigned short type, const void *data, size_t length) {
  size_t offset = NLMSG_ALIGN(request->header.nlmsg_len);
  struct rtattr *attribute = (struct rtattr *)((unsigned char *)request + offset);
  attribute->rta_type = type;
  attribute->rta_len = (unsigned short)RTA_LENGTH(length);
  memcpy(RTA_DATA(attribute), data, length);
  request->header.nlmsg_len = (uint32_t)(offset + RTA_ALIGN(attribute->rta_len));
}

static int64_t monotonic_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Copies the kernel's extended-ack message (NLMSGERR_ATTR_MSG), if the error carries one, into `detail`. */
static void extended_ack_message(const struct nlmsghdr *answer, char *detail, size_t detail_size) {
  if (!(answer->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const struct nlmsgerr *error = NLMSG_DATA(answer);
  size_t skip = sizeof *error;
  if (!(answer->nlmsg_flags & NLM_F_CAPPED)) {
    if (error->msg.nlmsg_len < NLMSG_HDRLEN) return;
    skip += error->msg.nlmsg_len - NLMSG_HDRLEN; /* the request echoed back */
  }
  skip = NLMSG_ALIGN(skip);
  if (answer->nlmsg_len < NLMSG_HDRLEN + skip) return;
  int left = (int)(answer->nlmsg_len - NLMSG_HDRLEN - skip);
  const struct rtattr *attribute = (const struct rtattr *)((const unsigned char *)NLMSG_DATA(answer) + skip);
  for (; RTA_OK(attribute, left); attribute = RTA_NEXT(attribute, left)) {
    if ((attribute->rta_type & NLA_TYPE_MASK) != NLMSGERR_ATTR_MSG) continue;
    size_t length = RTA_PAYLOAD(attribute);
    const char *text = RTA_DATA(attribute);
    size_t n = strnlen(text, length);
    if (n >= detail_size) n = detail_size - 1;
    memcpy(detail, text, n);
    detail[n] = '\0';
    return;
  }
}

/*
 * Sends one request on a fresh NETLINK_ROUTE socket (in the calling thread's network namespace) and waits up
 * to timeout_ms for its ack. Returns 0 on an ack, the kernel's errno on a refusal (with `detail` holding its
 * extended-ack message, if any), or a local errno with *syscall naming the failing call (ETIMEDOUT from poll
 * when the kernel did not answer in time).
 */
static int netlink_transact(struct nlmsghdr *request, int timeout_ms, const char **syscall, char *detail, size_t detail_size) {
  static uint32_t sequence = 0; /* a fresh socket per call: uniqueness across calls is not needed */
  detail[0] = '\0';
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    *syscall = "socket(AF_NETLINK)";
    return errno;
  }
  int on = 1;
  /* Best effort, both: the kernel's reason for a refusal, and no echo of our request in the answer. */
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);

  uint32_t seq = ++sequence;
  if (seq == 0) seq = ++sequence;
  request->nlmsg_seq = seq;
  request->nlmsg_pid = 0;
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t written;
  do written = sendto(fd, request, request->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (written < 0 && errno == EINTR);
  if (written < 0) {
    int err = errno;
    close(fd);
    *syscall = "sendto(NETLINK_ROUTE)";
    return err;
  }

  /* Large enough for an error that echoes the request, should NETLINK_CAP_ACK be refused. */
  unsigned char buffer[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
  int64_t deadline = monotonic_ms() + timeout_ms;
  for (;;) {
    int64_t left = deadline - monotonic_ms();
    struct pollfd waiting = {.fd = fd, .events = POLLIN, .revents = 0};
    int ready = poll(&waiting, 1, left > 0 ? (int)left : 0);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      int err = errno;
      close(fd);
      *syscall = "poll(NETLINK_ROUTE)";
      return err;
    }
    if (ready == 0) {
      close(fd);
      *syscall = "poll(NETLINK_ROUTE)";
      snprintf(detail, detail_size, "no answer from the kernel within %d ms", timeout_ms);
      return ETIMEDOUT;
    }
    struct sockaddr_nl from;
    socklen_t from_length = sizeof from;
    ssize_t length = recvfrom(fd, buffer, sizeof buffer, MSG_DONTWAIT, (struct sockaddr *)&from, &from_length);
    if (length < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (length < 0) {
      int err = errno;
      close(fd);
      *syscall = "recvfrom(NETLINK_ROUTE)";
      return err;
    }
    if (from.nl_pid != 0) continue; /* not from the kernel */
    size_t left_bytes = (size_t)length;
    for (struct nlmsghdr *answer = (struct nlmsghdr *)buffer; NLMSG_OK(answer, left_bytes); answer = NLMSG_NEXT(answer, left_bytes)) {
      if (answer->nlmsg_seq != seq || answer->nlmsg_type != NLMSG_ERROR) continue;
      if (answer->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        close(fd);
        *syscall = "recvfrom(NETLINK_ROUTE)";
        snprintf(detail, detail_size, "truncated acknowledgement");
        return EPROTO;
      }
      const struct nlmsgerr *error = NLMSG_DATA(answer);
      int err = -error->error;
      if (err != 0) extended_ack_message(answer, detail, detail_size);
      close(fd);
      return err;
    }
  }
}

/* Common to addressAdd and addressDelete: parses (ifname, address, prefix, timeoutMs) and runs the request. */
static napi_value address_change(napi_env env, napi_callback_info info, bool add) {
  const char *usage = add ? "addressAdd(ifname: string, address: string, prefix: number, timeoutMs: number)" : "addressDelete(ifname: string, address: string, prefix: number, timeoutMs: number)";
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return fail_args(env, usage);
  napi_valuetype type0, type1;
  CHECK(napi_typeof(env, argv[0], &type0));
  CHECK(napi_typeof(env, argv[1], &type1));
  int32_t prefix = -1, timeout_ms = -1;
  if (type0 != napi_string || type1 != napi_string || !get_int32(env, argv[2], &prefix) || !get_int32(env, argv[3], &timeout_ms)) return fail_args(env, usage);
  if (timeout_ms < 1 || timeout_ms > NETLINK_TIMEOUT_MS_MAX) return fail_args(env, "address change: timeoutMs must be 1..60000");

  char name[IFNAMSIZ + 1]; /* as in interfaceInfo: 1..15 bytes */
  size_t name_length = 0;
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_length));
  if (name_length == 0 || name_length > IFNAMSIZ - 1) return fail_args(env, "address change: bad interface name");
  char text[INET6_ADDRSTRLEN + 1];
  size_t text_length = 0;
  CHECK(napi_get_value_string_utf8(env, argv[1], text, sizeof text, &text_length));

  unsigned char address[16];
  int family;
  size_t address_length;
  if (text_length < sizeof text - 1 && inet_pton(AF_INET, text, address) == 1) {
    family = AF_INET;
    address_length = 4;
  } else if (text_length < sizeof text - 1 && inet_pton(AF_INET6, text, address) == 1) {
    family = AF_INET6;
    address_length = 16;
  } else {
    return fail_args(env, "address change: address must be an IPv4 or IPv6 address without prefix or zone");
  }
  if (prefix < 0 || prefix > (int32_t)address_length * 8) return fail_args(env, "address change: prefix must be 0..32 (IPv4) or 0..128 (IPv6)");

  unsigned int ifindex = if_nametoindex(name);
  if (ifindex == 0) return fail(env, "if_nametoindex", errno);

  struct address_request request;
  memset(&request, 0, sizeof request);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  request.header.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
  /* As `ip addr add` (CREATE|EXCL: an address already there is EEXIST, not replaced) and `ip addr del`. */
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  request.message.ifa_family = (unsigned char)family;
  request.message.ifa_prefixlen = (unsigned char)prefix;
  request.message.ifa_index = ifindex;
  request.message.ifa_scope = RT_SCOPE_UNIVERSE;
  /* `nodad`: usable at once, never tentative. IFA_F_NODAD (0x02) fits the u8 field: no IFA_FLAGS needed. */
  if (add && family == AF_INET6) request.message.ifa_flags = IFA_F_NODAD;
  add_attribute(&request, IFA_LOCAL, address, address_length);
  add_attribute(&request, IFA_ADDRESS, address, address_length);
  if (add && family == AF_INET && prefix <= 30) {
    /* `brd +`: the address with every host bit set; like `ip`, none for /31 and /32. */
    uint32_t host_bits = prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1;
    uint32_t local;
    memcpy(&local, address, 4);
    uint32_t broadcast = htonl(ntohl(local) | host_bits);
    add_attribute(&request, IFA_BROADCAST, &broadcast, 4);
  }

  const char *syscall = add ? "netlink RTM_NEWADDR" : "netlink RTM_DELADDR";
  char detail[256];
  int err = netlink_transact(&request.header, timeout_ms, &syscall, detail, sizeof detail);
  const char *outcome;
  if (err == 0) outcome = add ? "added" : "deleted";
  else if (add && err == EEXIST) outcome = "exists";
  else if (!add && (err == EADDRNOTAVAIL || err == ENOENT || err == ESRCH)) outcome = "absent";
  else return fail_detail(env, syscall, err, detail);
  napi_value result;
  CHECK(napi_create_string_utf8(env, outcome, NAPI_AUTO_LENGTH, &result));
  return result;
}

static napi_value address_add(napi_env env, napi_callback_info info) {
  return address_change(env, info, true);
}

static napi_value address_delete(napi_env env, napi_callback_info info) {
  return address_change(env, info, false);
}

/* ---- the Linux watchdog API (Documentation/watchdog/watchdog-api.rst) ---- */

/*
 * WDIOC_SETTIMEOUT: the argument is in and out; drivers may round or clamp the requested seconds (to their
 * hardware's granularity or range), and write back what they actually set, which is what the caller must
 * plan with. The kernel also pings the watchdog as part of setting the timeout.
 */
static napi_value watchdog_set_timeout(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, seconds = 0;
  if (argc < 2 || !get_int32(env, argv[0], &fd) || !get_int32(env, argv[1], &seconds) || fd < 0 || seconds < 1)
    return fail_args(env, "watchdogSetTimeout(fd: number, seconds: number >= 1)");
  int timeout = seconds;
  int done;
  do done = ioctl(fd, WDIOC_SETTIMEOUT, &timeout);
  while (done < 0 && errno == EINTR);
  if (done < 0) return fail(env, "ioctl(WDIOC_SETTIMEOUT)", errno);
  napi_value result;
  CHECK(napi_create_int32(env, timeout, &result));
  return result;
}

static napi_value watchdog_keepalive(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || !get_int32(env, argv[0], &fd) || fd < 0) return fail_args(env, "watchdogKeepalive(fd: number)");
  int done;
  do done = ioctl(fd, WDIOC_KEEPALIVE, 0);
  while (done < 0 && errno == EINTR);
  if (done < 0) return fail(env, "ioctl(WDIOC_KEEPALIVE)", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"interfaceInfo", NULL, interface_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openSender", NULL, open_sender_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendFrames", NULL, send_frames, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureOpen", NULL, capture_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureNext", NULL, capture_next, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addressAdd", NULL, address_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addressDelete", NULL, address_delete, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchdogSetTimeout", NULL, watchdog_set_timeout, NULL, NULL, NULL, napi_enumerable, NULL},
      {"watchdogKeepalive", NULL, watchdog_keepalive, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
