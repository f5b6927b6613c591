/*
 * netraw: the smallest native piece tandem needs, a raw link-layer (AF_PACKET) sender.
 *
 * Why native at all: Node.js has no AF_PACKET socket, and the alternative (`arping`) blocks one second per
 * packet and refuses to announce an address that is not configured yet (../shared/research/vrrp.md §B.4).
 * Everything protocol-shaped (the bytes of a gratuitous ARP or an unsolicited neighbour advertisement) is
 * built in TypeScript (src/platform/announce-frames.ts); this file only moves bytes.
 *
 * Invariants:
 *   1. Every socket is opened in the calling thread's network namespace and close-on-exec. The one send
 *      socket lives as long as the process (see `open_sender`); capture sockets are closed by the caller.
 *   2. Every failing system call becomes a JS exception: `code` is the errno name (EPERM, ENODEV, ...), the
 *      message is "<syscall>: <strerror>". Nothing is printed.
 *   3. Only `captureNext` blocks (poll with a timeout); it exists for tests and diagnostics, never for the
 *      daemon's event loop.
 *
 * Exports (N-API 8, plain node_api.h):
 *   interfaceInfo(name: string): { index: number, mac: Buffer }
 *   openSender(): undefined                                          opens the send socket now (EPERM surfaces early)
 *   sendFrames(ifindex: number, frames: Buffer[]): number            frames sent
 *   captureOpen(ifindex: number, ethertype: number): number          fd of a bound receive socket
 *   captureNext(fd: number, timeoutMs: number): { frame: Buffer, outgoing: boolean, monotonicNs: bigint } | null
 *   close(fd: number): undefined
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#define _GNU_SOURCE
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES_MAX 65536

/* Throws an Error whose code is the errno name; always returns NULL so callers can `return fail(...)`. */
static napi_value fail(napi_env env, const char *syscall, int err) {
  char message[256];
  char code[32];
  const char *name = strerrorname_np(err);
  if (name != NULL) snprintf(code, sizeof code, "%s", name);
  else snprintf(code, sizeof code, "E%d", err);
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_throw_error(env, code, message);
  return NULL;
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
  char name[IFNAMSIZ];
  size_t length = 0;
  napi_valuetype type;
  CHECK(napi_typeof(env, argc > 0 ? argv[0] : NULL, &type));
  if (argc < 1 || type != napi_string) return fail_args(env, "interfaceInfo(name: string)");
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length));
  if (length == 0 || length >= IFNAMSIZ - 1) return fail_args(env, "interfaceInfo: bad interface name");

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

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"interfaceInfo", NULL, interface_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"openSender", NULL, open_sender_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendFrames", NULL, send_frames, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureOpen", NULL, capture_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"captureNext", NULL, capture_next, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
