// swift-tools-version: 6.1
// libFuzzer targets over what lungseg reads from files: NIfTI, the torch.save pickle and archive,
// safetensors, DICOM. Kept out of the main
// package so that ordinary builds never see `-sanitize=fuzzer`. See Fuzz/README.md.
import PackageDescription

let package = Package(
    name: "lungseg-fuzz",
    dependencies: [.package(name: "lungseg", path: "..")],
    targets: [
        .executableTarget(
            name: "NIfTIFuzz",
            dependencies: [.product(name: "LungSegKit", package: "lungseg")]),
        // Needs `-Xswiftc -enable-testing` (it reaches the internal Unpickler).
        .executableTarget(
            name: "PickleFuzz",
            dependencies: [.product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "SafetensorsFuzz",
            dependencies: [.product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "TorchArchiveFuzz",
            dependencies: [.product(name: "AHNet", package: "lungseg")]),
        .executableTarget(
            name: "DICOMFuzz",
            dependencies: [.product(name: "LungSegKit", package: "lungseg")]),
    ],
    swiftLanguageModes: [.v6]
)
