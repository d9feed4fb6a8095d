// What this build of NN assumed about the CPU. Package.swift compiles NN with -mavx2 -mfma and
// defines DTRAIN_FMA when the building machine has both; then every Swift function of this module
// may use AVX (VEX-encoded) instructions, not only the SIMD kernels, so the check that the running
// CPU has them must run outside NN: Training/Platform/CPUFeatures.swift, called by the dtrain
// executable before anything runs a kernel.

/// True when NN was built for AVX2 + FMA (DTRAIN_FMA); such a build dies with SIGILL on a CPU
/// without them.
#if DTRAIN_FMA
public let builtForAVX2FMA = true
#else
public let builtForAVX2FMA = false
#endif
