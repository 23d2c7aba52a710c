// cdcmtk_write_slice: a single-frame slice, encoded by DCMTK's own codecs.
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcrleerg.h"
#include "dcmtk/dcmdata/dcrlerp.h"
#include "dcmtk/dcmdata/dctk.h"
#include "dcmtk/dcmjpeg/djencode.h"
#include "dcmtk/dcmjpeg/djrplol.h"
#include "dcmtk/dcmjpls/djencode.h"
#include "dcmtk/dcmjpls/djrparam.h"

#include <cstring>
#include <mutex>
#include <sstream>
#include <string>

#include "CDCMTKWriter.h"

namespace {

std::once_flag encodersOnce;

void setMessage(char *message, size_t capacity, const std::string &text) {
    if (message == nullptr || capacity == 0) return;
    size_t length = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), length);
    message[length] = '\0';
}

std::string decimals(const double *values, int count) {
    std::ostringstream text;
    text.precision(10);
    for (int index = 0; index < count; ++index) text << (index > 0 ? "\\" : "") << values[index];
    return text.str();
}

OFCondition putString(DcmDataset &dataset, const DcmTagKey &tag, const char *value) {
    return value == nullptr ? EC_Normal : dataset.putAndInsertString(tag, value);
}

OFCondition fill(DcmDataset &dataset, const cdcmtk_slice &slice, const void *pixels, size_t pixelBytes) {
    char uid[100];
    OFCondition result = EC_Normal;
    auto check = [&result](OFCondition condition) { if (result.good()) result = condition; };
    check(putString(dataset, DCM_SOPClassUID, slice.sop_class_uid));
    check(dataset.putAndInsertString(DCM_SOPInstanceUID, dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT)));
    check(putString(dataset, DCM_Modality, slice.modality));
    check(putString(dataset, DCM_StudyInstanceUID, slice.study_instance_uid));
    check(putString(dataset, DCM_SeriesInstanceUID, slice.series_instance_uid));
    check(putString(dataset, DCM_SeriesDescription, slice.series_description));
    check(putString(dataset, DCM_ImageType, slice.image_type));
    check(putString(dataset, DCM_PhotometricInterpretation, slice.photometric_interpretation));
    if (slice.has_series_number) check(dataset.putAndInsertString(DCM_SeriesNumber, std::to_string(slice.series_number).c_str()));
    check(dataset.putAndInsertString(DCM_InstanceNumber, std::to_string(slice.instance_number).c_str()));
    if (slice.has_geometry) {
        check(dataset.putAndInsertString(DCM_ImagePositionPatient, decimals(slice.image_position, 3).c_str()));
        check(dataset.putAndInsertString(DCM_ImageOrientationPatient, decimals(slice.image_orientation, 6).c_str()));
        check(dataset.putAndInsertString(DCM_PixelSpacing, decimals(slice.pixel_spacing, 2).c_str()));
    }
    if (slice.has_rescale) {
        check(dataset.putAndInsertString(DCM_RescaleSlope, decimals(&slice.rescale_slope, 1).c_str()));
        check(dataset.putAndInsertString(DCM_RescaleIntercept, decimals(&slice.rescale_intercept, 1).c_str()));
    }
    check(dataset.putAndInsertUint16(DCM_Rows, slice.rows));
    check(dataset.putAndInsertUint16(DCM_Columns, slice.columns));
    check(dataset.putAndInsertUint16(DCM_BitsAllocated, slice.bits_allocated));
    check(dataset.putAndInsertUint16(DCM_BitsStored, slice.bits_stored));
    check(dataset.putAndInsertUint16(DCM_HighBit, slice.bits_stored - 1));
    check(dataset.putAndInsertUint16(DCM_PixelRepresentation, slice.pixel_representation));
    check(dataset.putAndInsertUint16(DCM_SamplesPerPixel, slice.samples_per_pixel));
    if (slice.number_of_frames > 0) {
        check(dataset.putAndInsertString(DCM_NumberOfFrames, std::to_string(slice.number_of_frames).c_str()));
    }
    if (slice.samples_per_pixel > 1) check(dataset.putAndInsertUint16(DCM_PlanarConfiguration, 0));
    if (slice.bits_allocated == 16) {
        check(dataset.putAndInsertUint16Array(
            DCM_PixelData, static_cast<const Uint16 *>(pixels), static_cast<unsigned long>(pixelBytes / 2)));
    } else {
        check(dataset.putAndInsertUint8Array(
            DCM_PixelData, static_cast<const Uint8 *>(pixels), static_cast<unsigned long>(pixelBytes)));
    }
    return result;
}

E_TransferSyntax transferSyntax(cdcmtk_encoding encoding) {
    switch (encoding) {
    case CDCMTK_IMPLICIT_LITTLE: return EXS_LittleEndianImplicit;
    case CDCMTK_EXPLICIT_LITTLE: return EXS_LittleEndianExplicit;
    case CDCMTK_EXPLICIT_BIG: return EXS_BigEndianExplicit;
    case CDCMTK_JPEG_LOSSLESS_SV1: return EXS_JPEGProcess14SV1;
    case CDCMTK_JPEG_LS_LOSSLESS: return EXS_JPEGLSLossless;
    case CDCMTK_RLE_LOSSLESS: return EXS_RLELossless;
    }
    return EXS_Unknown;
}

cdcmtk_status write(const char *path, const cdcmtk_slice &slice, const void *pixels, size_t pixelBytes, std::string &problem) {
    std::call_once(encodersOnce, [] {
        DJEncoderRegistration::registerCodecs();
        DJLSEncoderRegistration::registerCodecs();
        DcmRLEEncoderRegistration::registerCodecs();
    });
    DcmFileFormat file;
    DcmDataset &dataset = *file.getDataset();
    OFCondition condition = fill(dataset, slice, pixels, pixelBytes);
    if (condition.bad()) {
        problem = std::string("could not fill the dataset: ") + condition.text();
        return CDCMTK_INTERNAL_ERROR;
    }
    const E_TransferSyntax syntax = transferSyntax(slice.encoding);
    DJ_RPLossless jpegLossless(1, 0);
    DJLSRepresentationParameter jpegLS(0, OFTrue);
    DcmRLERepresentationParameter rle;
    const DcmRepresentationParameter *parameter = nullptr;
    if (slice.encoding == CDCMTK_JPEG_LOSSLESS_SV1) parameter = &jpegLossless;
    if (slice.encoding == CDCMTK_JPEG_LS_LOSSLESS) parameter = &jpegLS;
    if (slice.encoding == CDCMTK_RLE_LOSSLESS) parameter = &rle;
    if (DcmXfer(syntax).isEncapsulated()) {
        condition = dataset.chooseRepresentation(syntax, parameter);
        if (condition.bad() || !dataset.canWriteXfer(syntax)) {
            problem = std::string("could not encode as ") + DcmXfer(syntax).getXferName() + ": " + condition.text();
            return CDCMTK_INTERNAL_ERROR;
        }
    }
    condition = slice.without_meta_header ? dataset.saveFile(path, syntax) : file.saveFile(path, syntax);
    if (condition.bad()) {
        problem = std::string("could not save: ") + condition.text();
        return CDCMTK_INTERNAL_ERROR;
    }
    return CDCMTK_OK;
}

}  // namespace

extern "C" cdcmtk_status cdcmtk_write_slice(
    const char *path, const cdcmtk_slice *slice, const void *pixels, size_t pixel_bytes, char *message,
    size_t message_capacity) {
    cdcmtk_status ready = cdcmtk_initialize(message, message_capacity);
    if (ready != CDCMTK_OK) return ready;
    try {
        std::string problem;
        cdcmtk_status status = write(path, *slice, pixels, pixel_bytes, problem);
        if (!problem.empty()) setMessage(message, message_capacity, problem);
        return status;
    } catch (...) {
        setMessage(message, message_capacity, "unexpected failure while writing");
        return CDCMTK_INTERNAL_ERROR;
    }
}
