// cdcmtk_read_header: the attributes lungseg needs from one file.
#include "cdcmtk_internal.h"

#include <cstring>

namespace {

/// Copies a (possibly multi-valued) string attribute, trimmed, or leaves "" when absent.
void copyString(DcmItem &item, const DcmTagKey &tag, char *target, size_t capacity) {
    OFString value;
    if (item.findAndGetOFStringArray(tag, value).good()) {
        cdcmtk::setMessage(target, capacity, std::string(value.c_str()));
    } else {
        target[0] = '\0';
    }
}

/// Reads `count` numbers of a DS attribute; 1 when all of them are there.
int copyDecimals(DcmItem &item, const DcmTagKey &tag, double *target, unsigned long count) {
    for (unsigned long index = 0; index < count; ++index) {
        Float64 value = 0;
        if (item.findAndGetFloat64(tag, value, index).bad()) return 0;
        target[index] = value;
    }
    return 1;
}

int copyInteger(DcmItem &item, const DcmTagKey &tag, int32_t &target) {
    Sint32 value = 0;
    if (item.findAndGetSint32(tag, value).bad()) return 0;
    target = value;
    return 1;
}

uint16_t unsignedShort(DcmItem &item, const DcmTagKey &tag, int absent = 0) {
    Uint16 value = 0;
    return item.findAndGetUint16(tag, value).good() ? value : static_cast<uint16_t>(absent);
}

}  // namespace

extern "C" cdcmtk_status cdcmtk_read_header(
    const char *path, cdcmtk_header *header, char *message, size_t message_capacity) {
    cdcmtk_status ready = cdcmtk_initialize(message, message_capacity);
    if (ready != CDCMTK_OK) return ready;
    try {
        DcmFileFormat file;
        cdcmtk_status loaded = cdcmtk::load(path, file, message, message_capacity);
        // A damaged DICOM file still gets the attributes parsed before the damage, so that the
        // caller can tell whether it belongs to the series being read.
        if (loaded != CDCMTK_OK && loaded != CDCMTK_READ_FAILED) return loaded;
        DcmDataset &dataset = *file.getDataset();

        std::memset(header, 0, sizeof *header);
        copyString(dataset, DCM_SOPClassUID, header->sop_class_uid, sizeof header->sop_class_uid);
        copyString(dataset, DCM_Modality, header->modality, sizeof header->modality);
        copyString(dataset, DCM_SeriesInstanceUID, header->series_instance_uid, sizeof header->series_instance_uid);
        copyString(dataset, DCM_SeriesDescription, header->series_description, sizeof header->series_description);
        copyString(dataset, DCM_ImageType, header->image_type, sizeof header->image_type);
        copyString(dataset, DCM_PhotometricInterpretation, header->photometric_interpretation,
                   sizeof header->photometric_interpretation);
        // Files without a meta header carry no transfer syntax UID: name the one DCMTK detected.
        copyString(*file.getMetaInfo(), DCM_TransferSyntaxUID, header->transfer_syntax_uid,
                   sizeof header->transfer_syntax_uid);
        if (header->transfer_syntax_uid[0] == '\0') {
            cdcmtk::setMessage(header->transfer_syntax_uid, sizeof header->transfer_syntax_uid,
                               DcmXfer(dataset.getOriginalXfer()).getXferID());
        }

        header->has_series_number = copyInteger(dataset, DCM_SeriesNumber, header->series_number);
        header->has_instance_number = copyInteger(dataset, DCM_InstanceNumber, header->instance_number);
        header->has_image_position = copyDecimals(dataset, DCM_ImagePositionPatient, header->image_position, 3);
        header->has_image_orientation = copyDecimals(dataset, DCM_ImageOrientationPatient, header->image_orientation, 6);
        header->has_pixel_spacing = copyDecimals(dataset, DCM_PixelSpacing, header->pixel_spacing, 2);
        header->has_rescale_slope = copyDecimals(dataset, DCM_RescaleSlope, &header->rescale_slope, 1);
        header->has_rescale_intercept = copyDecimals(dataset, DCM_RescaleIntercept, &header->rescale_intercept, 1);

        header->rows = unsignedShort(dataset, DCM_Rows);
        header->columns = unsignedShort(dataset, DCM_Columns);
        if (!copyInteger(dataset, DCM_NumberOfFrames, header->number_of_frames)) header->number_of_frames = 1;
        // Absent pixel-format attributes take the values the decoder assumes for them.
        header->bits_allocated = unsignedShort(dataset, DCM_BitsAllocated);
        header->bits_stored = unsignedShort(dataset, DCM_BitsStored, header->bits_allocated);
        header->high_bit = unsignedShort(dataset, DCM_HighBit, header->bits_stored - 1);
        header->pixel_representation = unsignedShort(dataset, DCM_PixelRepresentation);
        header->samples_per_pixel = unsignedShort(dataset, DCM_SamplesPerPixel, 1);
        header->has_pixel_data = dataset.tagExists(DCM_PixelData) ? 1 : 0;
        return loaded;
    } catch (const std::exception &error) {
        cdcmtk::setMessage(message, message_capacity, std::string("unexpected failure: ") + error.what());
        return CDCMTK_INTERNAL_ERROR;
    } catch (...) {
        cdcmtk::setMessage(message, message_capacity, "unexpected failure");
        return CDCMTK_INTERNAL_ERROR;
    }
}
