{
  "targets": [
    {
      "target_name": "hurdle_shm",
      "sources": ["native/shm.cc"],
      "cflags_cc": ["-std=c++20", "-O2"],
      "libraries": ["-lrt"]
    }
  ]
}
