#pragma once
// CUDA, cuBLAS and NCCL plumbing for the reference layer (host code, compiled by the C++
// compiler against the CUDA headers): checked calls and RAII owners of device resources.
// Internal to ref/cuda; other modules use api.hpp.

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace switchsim::ref::cuda {

// Throws NoCudaDevice for a missing device or driver, std::runtime_error otherwise.
void check_cuda(cudaError_t status, const char* what);
void check_cublas(cublasStatus_t status, const char* what);
void check_nccl(ncclResult_t status, const char* what);

// Number of visible devices; throws NoCudaDevice when there are none (or no driver).
int visible_device_count();

// RAII owners. Each remembers its device so it can be freed from any current device.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(int device, std::int64_t bytes);
  void* get() const { return ptr_.get(); }
  std::int64_t bytes() const { return bytes_; }

 private:
  struct Free {
    int device = 0;
    void operator()(void* p) const;
  };
  std::unique_ptr<void, Free> ptr_;
  std::int64_t bytes_ = 0;
};

// A new buffer on `device` holding `host` (at least one element's bytes, so an empty vector
// still gets a valid pointer), copied in `stream`'s order. From pageable memory the copy has
// read `host` when this returns, so the vector may go.
template <typename T>
DeviceBuffer upload(const std::vector<T>& host, int device, cudaStream_t stream) {
  DeviceBuffer b(device, static_cast<std::int64_t>(std::max<std::size_t>(1, host.size()) * sizeof(T)));
  check_cuda(cudaMemcpyAsync(b.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, stream), "H2D");
  return b;
}

class Stream {
 public:
  explicit Stream(int device);
  cudaStream_t get() const { return stream_.get(); }

 private:
  struct Destroy {
    void operator()(cudaStream_t s) const;
  };
  std::unique_ptr<std::remove_pointer_t<cudaStream_t>, Destroy> stream_;
};

class Event {
 public:
  explicit Event(int device);
  cudaEvent_t get() const { return event_.get(); }

 private:
  struct Destroy {
    void operator()(cudaEvent_t e) const;
  };
  std::unique_ptr<std::remove_pointer_t<cudaEvent_t>, Destroy> event_;
};

class CublasHandle {
 public:
  CublasHandle(int device, cudaStream_t stream);
  cublasHandle_t get() const { return handle_.get(); }

 private:
  struct Destroy {
    void operator()(cublasHandle_t h) const;
  };
  std::unique_ptr<std::remove_pointer_t<cublasHandle_t>, Destroy> handle_;
};

// Seconds between two recorded events (after they completed).
double elapsed_s(const Event& start, const Event& end);

}  // namespace switchsim::ref::cuda
