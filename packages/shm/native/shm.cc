// The whole native part of @hurdle/shm: map a POSIX shared-memory object into
// this process and hand it to JavaScript as a SharedArrayBuffer; unlink by name.
// Everything else (layout, allocator, locking) is TypeScript over that buffer.
#include <node.h>
#include <v8.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hurdle_shm {

using v8::ArrayBuffer;
using v8::BackingStore;
using v8::Context;
using v8::FunctionCallbackInfo;
using v8::Isolate;
using v8::Local;
using v8::Object;
using v8::SharedArrayBuffer;
using v8::String;
using v8::Value;

static void ThrowErrno(Isolate* isolate, const char* what, int err) {
  std::string msg = std::string(what) + ": " + std::strerror(err);
  Local<Value> e = v8::Exception::Error(
      String::NewFromUtf8(isolate, msg.c_str()).ToLocalChecked());
  Local<Context> ctx = isolate->GetCurrentContext();
  const char* code = err == ENOENT ? "ENOENT"
                     : err == EEXIST ? "EEXIST"
                     : err == EACCES ? "EACCES"
                     : err == ENOMEM ? "ENOMEM"
                     : err == EINVAL ? "EINVAL"
                                     : "EOTHER";
  e.As<Object>()
      ->Set(ctx, String::NewFromUtf8(isolate, "code").ToLocalChecked(),
            String::NewFromUtf8(isolate, code).ToLocalChecked())
      .Check();
  e.As<Object>()
      ->Set(ctx, String::NewFromUtf8(isolate, "errno").ToLocalChecked(),
            v8::Integer::New(isolate, err))
      .Check();
  isolate->ThrowException(e);
}

// Runs when the last SharedArrayBuffer over the mapping is collected.
static void Unmap(void* data, size_t length, void* /*deleter_data*/) {
  if (data != nullptr && length > 0) munmap(data, length);
}

// map(name: string, sizeBytes: number, create: boolean): SharedArrayBuffer
//   create=true: O_CREAT|O_EXCL, ftruncate to sizeBytes.
//   create=false: open the existing object; its size comes from fstat.
static void Map(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (args.Length() < 3 || !args[0]->IsString() || !args[1]->IsNumber() ||
      !args[2]->IsBoolean()) {
    ThrowErrno(isolate, "map(name, sizeBytes, create)", EINVAL);
    return;
  }
  String::Utf8Value name(isolate, args[0]);
  double requested = args[1].As<v8::Number>()->Value();
  bool create = args[2]->BooleanValue(isolate);

  int flags = O_RDWR | (create ? (O_CREAT | O_EXCL) : 0);
  int fd = shm_open(*name, flags, 0600);
  if (fd < 0) {
    ThrowErrno(isolate, "shm_open", errno);
    return;
  }
  size_t length = 0;
  if (create) {
    length = static_cast<size_t>(requested);
    if (ftruncate(fd, static_cast<off_t>(length)) != 0) {
      int err = errno;
      close(fd);
      shm_unlink(*name);
      ThrowErrno(isolate, "ftruncate", err);
      return;
    }
  } else {
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int err = errno;
      close(fd);
      ThrowErrno(isolate, "fstat", err);
      return;
    }
    length = static_cast<size_t>(st.st_size);
  }
  if (length == 0) {
    close(fd);
    ThrowErrno(isolate, "empty segment", EINVAL);
    return;
  }
  void* ptr = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int err = errno;
  close(fd);  // the mapping keeps the object alive
  if (ptr == MAP_FAILED) {
    ThrowErrno(isolate, "mmap", err);
    return;
  }
  std::unique_ptr<BackingStore> store =
      SharedArrayBuffer::NewBackingStore(ptr, length, Unmap, nullptr);
  Local<SharedArrayBuffer> sab =
      SharedArrayBuffer::New(isolate, std::move(store));
  args.GetReturnValue().Set(sab);
}

// unlink(name: string): boolean  (false when it did not exist)
static void Unlink(const FunctionCallbackInfo<Value>& args) {
  Isolate* isolate = args.GetIsolate();
  if (args.Length() < 1 || !args[0]->IsString()) {
    ThrowErrno(isolate, "unlink(name)", EINVAL);
    return;
  }
  String::Utf8Value name(isolate, args[0]);
  if (shm_unlink(*name) != 0) {
    int err = errno;
    if (err == ENOENT) {
      args.GetReturnValue().Set(false);
      return;
    }
    ThrowErrno(isolate, "shm_unlink", err);
    return;
  }
  args.GetReturnValue().Set(true);
}

static void Init(Local<Object> exports, Local<Value> /*module*/,
                 Local<Context> /*context*/, void* /*priv*/) {
  NODE_SET_METHOD(exports, "map", Map);
  NODE_SET_METHOD(exports, "unlink", Unlink);
}

}  // namespace hurdle_shm

NODE_MODULE_CONTEXT_AWARE(hurdle_shm, hurdle_shm::Init)
