// One-time setup of DCMTK: logger, data dictionary, decoders.
#include "cdcmtk_internal.h"

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

#include <cstring>
#include <mutex>

namespace {

std::once_flag setupOnce;
bool dictionaryLoaded = false;

void setUp() {
    // DCMTK logs warnings about odd files on stderr; lungseg reports problems through statuses.
    OFLog::configure(OFLogger::OFF_LOG_LEVEL);
    // Debian builds DCMTK with an external dictionary (/usr/share/libdcmtk17/dicom.dic, or the
    // files named by DCMDICTPATH); implicit-VR files cannot be read without it.
    dictionaryLoaded = dcmDataDict.isDictionaryLoaded();
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
}

}  // namespace

namespace cdcmtk {

void setMessage(char *message, size_t capacity, const std::string &text) {
    if (message == nullptr || capacity == 0) return;
    size_t length = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), length);
    message[length] = '\0';
}

}  // namespace cdcmtk

extern "C" cdcmtk_status cdcmtk_initialize(char *message, size_t message_capacity) {
    try {
        std::call_once(setupOnce, setUp);
    } catch (...) {
        cdcmtk::setMessage(message, message_capacity, "DCMTK could not be initialised");
        return CDCMTK_INTERNAL_ERROR;
    }
    if (!dictionaryLoaded) {
        cdcmtk::setMessage(message, message_capacity,
            "DCMTK's data dictionary could not be loaded (install libdcmtk17, or point DCMDICTPATH at dicom.dic)");
        return CDCMTK_NO_DICTIONARY;
    }
    return CDCMTK_OK;
}
