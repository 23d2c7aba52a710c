// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "lungseg",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lungseg", targets: ["lungseg"]),
        .library(name: "LungSegKit", targets: ["LungSegKit"]),
        .library(name: "AHNet", targets: ["AHNet"]),
        .library(name: "AHNetCPU", targets: ["AHNetCPU"]),
        .library(name: "AHNetCL", targets: ["AHNetCL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        // `swift package generate-documentation`: the DocC catalogues of the libraries (scripts/docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: ocl-icd-opencl-dev, libopenblas-dev).
        .systemLibrary(
            name: "COpenCL", pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        // OpenSSL's libcrypto: SHA-256 of batch inputs (Debian: libssl-dev).
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        // libdeflate: .nii.gz volumes decompressed in one call, twice as fast as zlib (Debian: libdeflate-dev).
        .systemLibrary(
            name: "CLibDeflate", pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]),
        // libnifti2 ships no .pc file and its header includes <znzlib.h>, so it must be a C target
        // (see docs/ARCHITECTURE.md).
        .target(
            name: "CNIfTI",
            linkerSettings: [.linkedLibrary("nifti2"), .linkedLibrary("znz"), .linkedLibrary("z")]),

        // libpng for the QC picture, behind a C wrapper that catches libpng's longjmp errors.
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),

        // DCMTK (Debian libdcmtk-dev) for DICOM series, behind a C API over C++ so that no exception
        // crosses into Swift. Not a pkg-config system library: dcmtk.pc requires sndfile.pc and more
        // in Requires.private, so `pkg-config --cflags dcmtk` fails on a machine without them.
        .target(
            name: "CDCMTK",
            linkerSettings: [
                "dcmdata", "ofstd", "oflog", "dcmjpeg", "ijg8", "ijg12", "ijg16", "dcmjpls", "dcmtkcharls",
                "dcmimgle", "dcmseg", "dcmfg", "dcmiod",
            ].map { .linkedLibrary($0) }),
        // Writes DICOM slices with DCMTK's encoders; only the tests use it, to build small series.
        .target(name: "CDCMTKWriter", dependencies: ["CDCMTK"]),

        // The model: the AH-Net graph written once against a backend protocol.
        .target(name: "AHNet", dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "CConvolution"),
        .target(name: "CMalloc"),
        .target(name: "AHNetCPU", dependencies: ["AHNet", "COpenBLAS", "CConvolution"]),
        .target(
            name: "AHNetCL", dependencies: ["AHNet", "COpenCL"],
            plugins: [.plugin(name: "EmbedKernels")]),

        // The pipeline shared by every backend: volumes, NIfTI I/O, pre- and post-processing.
        .target(name: "LungSegKit", dependencies: ["AHNet", "CNIfTI", "CPNG", "COpenSSL", "CDCMTK", "CLibDeflate"]),

        .executableTarget(
            name: "lungseg",
            dependencies: [
                "CMalloc",
                "LungSegKit", "AHNet", "AHNetCPU", "AHNetCL",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Build-time embedding of kernels.cl into AHNetCL, so the binary never reads it from disk.
        .executableTarget(name: "KernelEmbedder"),
        .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["KernelEmbedder"]),

        .testTarget(
            name: "LungSegKitTests", dependencies: ["LungSegKit", "CNIfTI", "AHNet", "CDCMTKWriter"], exclude: ["Fixtures"]),
        .testTarget(name: "lungsegTests", dependencies: ["lungseg", "LungSegKit", "CMalloc"]),
        .testTarget(name: "AHNetTests", dependencies: ["AHNet"], exclude: ["Fixtures"]),
        .testTarget(name: "AHNetCPUTests", dependencies: ["AHNetCPU", "AHNet", "CConvolution"], exclude: ["Fixtures"]),
        .testTarget(name: "AHNetCLTests", dependencies: ["AHNetCL", "AHNetCPU", "AHNet", "LungSegKit"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
