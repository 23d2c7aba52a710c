// Telling DICOM files from other files, and loading them.
#include "cdcmtk_internal.h"

#include <cstdio>
#include <cstring>

namespace cdcmtk {

FileKind classify(const char *path) {
    FILE *stream = std::fopen(path, "rb");
    if (stream == nullptr) return FileKind::other;
    unsigned char bytes[132];
    size_t read = std::fread(bytes, 1, sizeof bytes, stream);
    std::fclose(stream);
    if (read == sizeof bytes && std::memcmp(bytes + 128, "DICM", 4) == 0) return FileKind::part10;
    // A dataset without preamble starts with its lowest tag: group 0x0002 (meta) or 0x0008
    // (identification), little endian. Anything else is not worth handing to the parser.
    if (read >= 8 && bytes[1] == 0x00 && (bytes[0] == 0x02 || bytes[0] == 0x08)) return FileKind::bareDataset;
    return FileKind::other;
}

cdcmtk_status load(const char *path, DcmFileFormat &file, char *message, size_t capacity) {
    FileKind kind = classify(path);
    if (kind == FileKind::other) {
        setMessage(message, capacity, "not a DICOM file");
        return CDCMTK_NOT_DICOM;
    }
    OFCondition condition = file.loadFile(
        path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, kind == FileKind::part10 ? ERM_fileOnly : ERM_dataset);
    if (condition.bad()) {
        setMessage(message, capacity, std::string("DCMTK could not parse it: ") + condition.text());
        return kind == FileKind::part10 ? CDCMTK_READ_FAILED : CDCMTK_NOT_DICOM;
    }
    return CDCMTK_OK;
}

}  // namespace cdcmtk
