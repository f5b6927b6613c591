{
  "targets": [
    {
      "target_name": "netraw",
      "sources": ["native/netraw.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
