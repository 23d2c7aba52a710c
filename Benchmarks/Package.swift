// swift-tools-version: 6.1
// Benchmarks of lungseg with package-benchmark (ordo-one). Kept out of the main package so that
// building and testing lungseg never compiles the benchmark machinery.
//   cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "lungseg-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "lungseg", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AHNetBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AHNet", package: "lungseg"),
                .product(name: "AHNetCPU", package: "lungseg"),
                .product(name: "AHNetCL", package: "lungseg"),
                .product(name: "LungSegKit", package: "lungseg"),
            ],
            path: "Benchmarks/AHNetBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ],
    swiftLanguageModes: [.v6]
)
