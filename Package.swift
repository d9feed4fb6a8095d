// swift-tools-version:5.9
// dtrain: data-parallel CNN training in Swift on Open MPI and OpenBLAS.
// Dependencies point one way: dtrain -> Training/Reports -> NN, Datasets, Collective -> Core -> C targets.
import Foundation
import PackageDescription

let optimise: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"])]

/// NN's kernels (Kernels/DirectConv.swift) use AVX2 + FMA when the machine building dtrain has
/// them: dtrain is built from source where it runs (launch/setup, launch/test). DTRAIN_PORTABLE=1
/// builds for baseline x86-64 instead; other architectures get their defaults.
let vectorUnits: [SwiftSetting] = {
    #if arch(x86_64)
    guard ProcessInfo.processInfo.environment["DTRAIN_PORTABLE"] == nil,
          let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return [] }
    let features = Set(flags.split(separator: " ").map(String.init))
    guard features.contains("avx2") && features.contains("fma") else { return [] }
    return [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"]), .define("DTRAIN_FMA")]
    #else
    return []
    #endif
}()

let package = Package(
    name: "dtrain",
    products: [
        .executable(name: "dtrain", targets: ["dtrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: C libraries (system libraries found through pkg-config)
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi",
                       providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),

        // MARK: modules
        // Core: errors, typed file records, POSIX files, atomic writes, clock, hashing, launcher.
        .target(name: "Core", swiftSettings: optimise),
        .target(name: "NN", dependencies: ["Core", "CBLAS", .product(name: "Yams", package: "Yams")],
                swiftSettings: optimise + vectorUnits),
        .target(name: "Datasets", dependencies: ["Core", "NN", "CZlib", "CPNG", "CJPEG"], swiftSettings: optimise),
        .target(name: "Collective", dependencies: ["Core", "CMPI"], swiftSettings: optimise),
        .target(name: "Training", dependencies: ["Core", "NN", "Datasets", "Collective"], swiftSettings: optimise),
        .target(name: "Reports", dependencies: ["Core", "Training", "NN", "Datasets", "CZlib"], swiftSettings: optimise),

        // MARK: executable
        .executableTarget(name: "dtrain", dependencies: [
            "Core", "Training", "Reports", "Collective", "NN",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: optimise),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["Core", "NN"], path: "Tests/TestSupport"),
        .testTarget(name: "NNTests", dependencies: ["Core", "NN", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Core", "Datasets", "TestSupport"],
                    exclude: ["Fixtures"]),                 // read through #filePath, not bundled
        .testTarget(name: "CollectiveTests", dependencies: ["Core", "Collective"]),
        .testTarget(name: "TrainingTests", dependencies: ["Core", "Training", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Core", "Reports", "Training", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Core", "Training"]),
    ]
)
