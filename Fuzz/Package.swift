// swift-tools-version: 6.1
// libFuzzer targets over what lungseg reads from files: NIfTI, the torch.save pickle and archive,
// safetensors, DICOM. Kept out of the main
// package so that ordinary builds never see `-sanitize=fuzzer`. See Fuzz/README.md.
import PackageDescription

let package = Package(
    name: "lungseg-fuzz",
    dependencies: [.package(name: "lungseg", path: "..")],
    targets: [
        // libFuzzer's driver entry, shared by the targets.
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "NIfTIFuzz",
            dependencies: ["FuzzDriver", .product(name: "LungSegKit", package: "lungseg")]),
        // Needs `-Xswiftc -enable-testing` (it reaches the internal Unpickler).
        .executableTarget(
            name: "PickleFuzz",
            dependencies: ["FuzzDriver", .product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "SafetensorsFuzz",
            dependencies: ["FuzzDriver", .product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "TorchArchiveFuzz",
            dependencies: ["FuzzDriver", .product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "DICOMFuzz",
            dependencies: ["FuzzDriver", .product(name: "LungSegKit", package: "lungseg")]),
    ],
    swiftLanguageModes: [.v6]
)
