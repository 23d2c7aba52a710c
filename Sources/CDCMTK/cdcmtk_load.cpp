// Telling DICOM files from other files, and loading them.
#include "cdcmtk_internal.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <sys/stat.h>

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
    cdcmtk_status status = CDCMTK_OK;
    if (condition.bad()) {
        setMessage(message, capacity, std::string("DCMTK could not parse it: ") + condition.text());
        if (kind != FileKind::part10) return CDCMTK_NOT_DICOM;
        // The attributes parsed before the damage are still read: they get the check below too.
        status = CDCMTK_READ_FAILED;
    }
    // DCMTK leaves values longer than DCM_MaxReadLength on disk and, when one is asked for,
    // allocates the length the file declares: a 12 KB file declaring a 4 GB value made it
    // allocate 4 GB (found by DICOMFuzz). No value can be longer than the file itself.
    // Such an attribute is dropped (a later read finds it absent) and the file counts as damaged.
    struct stat info;
    if (stat(path, &info) == 0) {
        // The meta header (TransferSyntaxUID is read from it) and the dataset alike.
        DcmItem *items[] = {file.getMetaInfo(), file.getDataset()};
        for (DcmItem *item : items) {
            unsigned long index = 0;
            while (item != nullptr && index < item->card()) {
                DcmElement *element = item->getElement(index);
                const Uint32 length = element == nullptr ? 0 : element->getLengthField();
                if (length != DCM_UndefinedLength && static_cast<off_t>(length) > info.st_size) {
                    setMessage(message, capacity, "an attribute declares " + std::to_string(length) + " bytes, more than the file holds");
                    delete item->remove(index);
                    status = CDCMTK_READ_FAILED;
                } else {
                    ++index;
                }
            }
        }
    }
    return status;
}

}  // namespace cdcmtk
