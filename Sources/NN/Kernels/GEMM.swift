// The one place dtrain calls cblas_sgemm. Row-major throughout; this wrapper owns the
// leading-dimension rule (Caffe's caffe_cpu_gemm):  lda = transA ? M : K,  ldb = transB ? K : N,
// ldc = N for dense operands; `gemm(..., lda:, ldb:, ldc:)` takes them explicitly for strided views
// (e.g. one sample's columns inside a whole-batch im2col buffer).

import Core
import CBLAS

public enum Transpose { case no, yes }

/// C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, all row-major and dense.
@inline(__always)
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                 alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                 beta: Float, _ c: UnsafeMutablePointer<Float>) {
    gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a, lda: transA == .no ? k : m,
         b, ldb: transB == .no ? n : k, beta: beta, c, ldc: n)
}

/// As above with explicit row strides: row r of the stored A starts at a + r * lda (likewise B, C).
@inline(__always)
public func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                 alpha: Float = 1, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    cblas_sgemm(CblasRowMajor,
                transA == .no ? CblasNoTrans : CblasTrans,
                transB == .no ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// The number of threads OpenBLAS uses (OPENBLAS_NUM_THREADS, or its default).
public func blasThreads() -> Int { Int(openblas_get_num_threads()) }
