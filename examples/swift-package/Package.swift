// swift-tools-version: 6.1
// A package that uses lungseg as a library, by URL and version. LUNGSEG_PACKAGE_URL overrides the
// URL (check.sh points it at a tagged local clone, file://...).
import PackageDescription

let lungseg = Context.environment["LUNGSEG_PACKAGE_URL"] ?? "https://github.com/lungseg/lungseg.git"

let package = Package(
    name: "segment-example",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: lungseg, from: "0.1.0")],
    targets: [
        .executableTarget(
            name: "SegmentExample",
            dependencies: [
                .product(name: "LungSegKit", package: "lungseg"),
                .product(name: "AHNet", package: "lungseg"),
                .product(name: "AHNetCPU", package: "lungseg"),
            ])
    ]
)
