#include "ref/cuda/device.hpp"

#include <fmt/format.h>

#include <stdexcept>

#include "ref/cuda/api.hpp"

namespace switchsim::ref::cuda {

void check_cuda(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  const std::string message = fmt::format("{}: {} ({})", what, cudaGetErrorString(status), static_cast<int>(status));
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver || status == cudaErrorInitializationError ||
      status == cudaErrorSystemDriverMismatch || status == cudaErrorCompatNotSupportedOnDevice)
    throw NoCudaDevice(message);
  throw std::runtime_error("CUDA error in " + message);
}

void check_cublas(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw std::runtime_error(fmt::format("cuBLAS error in {}: {} ({})", what, cublasGetStatusString(status),
                                       static_cast<int>(status)));
}

void check_nccl(ncclResult_t status, const char* what) {
  if (status == ncclSuccess) return;
  throw std::runtime_error(fmt::format("NCCL error in {}: {} ({})", what, ncclGetErrorString(status),
                                       static_cast<int>(status)));
}

int visible_device_count() {
  int count = 0;
  check_cuda(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (count <= 0) throw NoCudaDevice("cudaGetDeviceCount: no CUDA device visible");
  return count;
}

DeviceBuffer::DeviceBuffer(int device, std::int64_t bytes) : ptr_(nullptr, Free{device}), bytes_(bytes) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  void* p = nullptr;
  check_cuda(cudaMalloc(&p, static_cast<std::size_t>(bytes > 0 ? bytes : 1)),
             fmt::format("cudaMalloc({} bytes)", bytes).c_str());
  ptr_.reset(p);
}

void DeviceBuffer::Free::operator()(void* p) const {
  if (p == nullptr) return;
  int current = 0;
  cudaGetDevice(&current);
  cudaSetDevice(device);
  cudaFree(p);  // errors at teardown cannot be reported from a destructor
  cudaSetDevice(current);
}

Stream::Stream(int device) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  cudaStream_t s = nullptr;
  check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  stream_.reset(s);
}
void Stream::Destroy::operator()(cudaStream_t s) const { cudaStreamDestroy(s); }

Event::Event(int device) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  cudaEvent_t e = nullptr;
  check_cuda(cudaEventCreate(&e), "cudaEventCreate");
  event_.reset(e);
}
void Event::Destroy::operator()(cudaEvent_t e) const { cudaEventDestroy(e); }

CublasHandle::CublasHandle(int device, cudaStream_t stream) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  cublasHandle_t h = nullptr;
  check_cublas(cublasCreate(&h), "cublasCreate");
  handle_.reset(h);
  check_cublas(cublasSetStream(h, stream), "cublasSetStream");
}
void CublasHandle::Destroy::operator()(cublasHandle_t h) const { cublasDestroy(h); }

double elapsed_s(const Event& start, const Event& end) {
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, start.get(), end.get()), "cudaEventElapsedTime");
  return static_cast<double>(ms) * 1e-3;
}

}  // namespace switchsim::ref::cuda
