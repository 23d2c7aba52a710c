// DICOM Segmentation (SEG) objects through DCMTK's dcmseg: lungseg's labels written as a BINARY
// segmentation on the frames of the source series, and read back (for the tests and `info`).
#include "cdcmtk_internal.h"

#include "dcmtk/dcmdata/dcuid.h"
#include "dcmtk/dcmfg/fgderimg.h"
#include "dcmtk/dcmfg/fgfracon.h"
#include "dcmtk/dcmfg/fgpixmsr.h"
#include "dcmtk/dcmfg/fgplanor.h"
#include "dcmtk/dcmfg/fgplanpo.h"
#include "dcmtk/dcmfg/fgseg.h"
#include "dcmtk/dcmiod/iodreferences.h"
#include "dcmtk/dcmseg/segdoc.h"
#include "dcmtk/dcmseg/segment.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

namespace {

struct SourceSlice {
    OFString sopClass, sopInstance, position[3];
};

std::string text(const OFCondition &condition) { return condition.text(); }

/// A decimal string as DICOM's DS allows (at most 16 characters): some series store longer ones
/// (CIP's exports write 17 digits), which dcmseg then refuses to write.
OFString decimal(const OFString &value) {
    if (value.length() <= 16) return value;
    char buffer[32];
    snprintf(buffer, sizeof buffer, "%.9g", atof(value.c_str()));
    return OFString(buffer);
}

/// `value` without the NUL padding some exporters write (CIP's) and without trailing spaces.
OFString trimmed(OFString value) {
    const size_t nul = value.find('\0');
    if (nul != OFString_npos) value = value.substr(0, nul);
    while (!value.empty() && value[value.length() - 1] == ' ') value.erase(value.length() - 1);
    return value;
}

/// One value of an attribute, trimmed.
OFString field(DcmDataset *dataset, const DcmTagKey &tag, unsigned long index = 0) {
    OFString value;
    dataset->findAndGetOFString(tag, value, index);
    return trimmed(value);
}

/// Top-level string elements as dcmiod accepts them: padded with NUL bytes instead of spaces
/// (CIP's exports), or stored under another VR than the data dictionary's, they are re-made
/// with the same text, the padding dropped, under the dictionary's VR.
void normalizeStringVRs(DcmDataset &dataset) {
    std::vector<std::pair<DcmTag, OFString>> remade;
    for (unsigned long i = 0; i < dataset.card(); ++i) {
        DcmElement *element = dataset.getElement(i);
        if (element == NULL) continue;
        DcmTag expected(element->getTag().getXTag());
        const DcmVR actualVR(element->getVR()), expectedVR(expected.getEVR());
        if (!actualVR.isaString() || !expectedVR.isaString() || element->getLengthField() == 0) continue;
        OFString value;
        if (element->getOFStringArray(value).bad()) continue;
        if (value.find('\0') == OFString_npos && actualVR.getEVR() == expectedVR.getEVR()) continue;
        remade.push_back(std::make_pair(expected, trimmed(value)));
    }
    for (auto &item : remade) {
        dataset.findAndDeleteElement(item.first);
        dataset.putAndInsertOFStringArray(item.first, item.second);
    }
}

}  // namespace

extern "C" cdcmtk_status cdcmtk_write_segmentation(
    const char *output, const char *const *source_paths, size_t slice_count, const uint8_t *labels,
    const cdcmtk_segment *segments, size_t segment_count, const char *series_instance_uid, const char *sop_instance_uid,
    const char *software_version, const char *algorithm_parameters, char *message, size_t message_capacity) {
    return cdcmtk::guarded(message, message_capacity, [&]() -> cdcmtk_status {
        if (slice_count == 0 || segment_count == 0) {
            cdcmtk::setMessage(message, message_capacity, "no slices or no segments");
            return CDCMTK_MISSING_ATTRIBUTE;
        }
        // The source slices: references, positions, and the shared geometry from the first.
        std::vector<SourceSlice> slices(slice_count);
        OFString orientation[6], pixelSpacing, sliceThickness;
        Uint16 rows = 0, columns = 0;
        for (size_t k = 0; k < slice_count; ++k) {
            DcmFileFormat file;
            OFCondition status = file.loadFile(source_paths[k]);
            if (status.bad()) {
                cdcmtk::setMessage(message, message_capacity, std::string(source_paths[k]) + ": " + text(status));
                return CDCMTK_READ_FAILED;
            }
            DcmDataset *dataset = file.getDataset();
            slices[k].sopClass = field(dataset, DCM_SOPClassUID);
            slices[k].sopInstance = field(dataset, DCM_SOPInstanceUID);
            for (unsigned long i = 0; i < 3; ++i) slices[k].position[i] = decimal(field(dataset, DCM_ImagePositionPatient, i));
            Uint16 r = 0, c = 0;
            dataset->findAndGetUint16(DCM_Rows, r);
            dataset->findAndGetUint16(DCM_Columns, c);
            if (k == 0) {
                rows = r;
                columns = c;
                for (unsigned long i = 0; i < 6; ++i) orientation[i] = decimal(field(dataset, DCM_ImageOrientationPatient, i));
                OFString spacingRow = decimal(field(dataset, DCM_PixelSpacing, 0)), spacingColumn = decimal(field(dataset, DCM_PixelSpacing, 1));
                pixelSpacing = spacingRow + "\\" + spacingColumn;
                sliceThickness = decimal(field(dataset, DCM_SliceThickness));
            }
            if (r != rows || c != columns || slices[k].sopInstance.empty() || slices[k].position[2].empty()) {
                cdcmtk::setMessage(message, message_capacity, std::string(source_paths[k]) + ": not a slice of the same series grid");
                return CDCMTK_MISSING_ATTRIBUTE;
            }
        }

        // Without a SliceThickness in the source (CIP's exports), the frames are as thick as the
        // slices are apart: readers such as highdicom need one.
        if (sliceThickness.empty() && slice_count >= 2) {
            double squared = 0;
            for (int i = 0; i < 3; ++i) {
                const double step = atof(slices[1].position[i].c_str()) - atof(slices[0].position[i].c_str());
                squared += step * step;
            }
            char buffer[32];
            snprintf(buffer, sizeof buffer, "%.9g", sqrt(squared));
            sliceThickness = buffer;
        }

        IODGeneralEquipmentModule::EquipmentInfo equipment("lungseg", "lungseg", "1", software_version);
        ContentIdentificationMacro content("1", "LUNGS", "Lung segmentation by lungseg (AH-Net)", "lungseg");
        DcmSegmentation *created = NULL;
        OFCondition status = DcmSegmentation::createBinarySegmentation(created, rows, columns, equipment, content);
        if (status.bad() || created == NULL) {
            cdcmtk::setMessage(message, message_capacity, "cannot create the segmentation: " + text(status));
            return CDCMTK_INTERNAL_ERROR;
        }
        std::unique_ptr<DcmSegmentation> segmentation(created);
        // Patient, study and frame of reference come from the source series. Some exporters
        // store these with another VR than the standard's (CIP's write PatientName as LO), which
        // dcmiod then refuses to write: such string elements are re-made with their proper VR.
        DcmFileFormat source;
        if ((status = source.loadFile(source_paths[0])).bad()) {
            cdcmtk::setMessage(message, message_capacity, std::string(source_paths[0]) + ": " + text(status));
            return CDCMTK_READ_FAILED;
        }
        normalizeStringVRs(*source.getDataset());
        status = segmentation->importFromSourceImage(*source.getDataset(), OFTrue);
        if (status.bad()) {
            cdcmtk::setMessage(message, message_capacity, std::string("cannot import patient and study: ") + text(status));
            return CDCMTK_READ_FAILED;
        }
        segmentation->getSeries().setSeriesInstanceUID(series_instance_uid);
        segmentation->getSeries().setSeriesNumber("901");
        segmentation->getSeries().setSeriesDescription("lungseg lungs");
        segmentation->getSOPCommon().setSOPInstanceUID(sop_instance_uid);

        std::map<uint8_t, Uint16> segmentNumbers;
        for (size_t s = 0; s < segment_count; ++s) {
            const cdcmtk_segment &spec = segments[s];
            DcmSegment *segment = NULL;
            status = DcmSegment::create(
                segment, spec.label, CodeSequenceMacro(spec.category_code, spec.category_scheme, spec.category_meaning),
                CodeSequenceMacro(spec.type_code, spec.type_scheme, spec.type_meaning), DcmSegTypes::SAT_AUTOMATIC, "lungseg");
            if (status.bad() || segment == NULL) {
                cdcmtk::setMessage(message, message_capacity, "cannot create segment " + std::string(spec.label) + ": " + text(status));
                return CDCMTK_INTERNAL_ERROR;
            }
            AlgorithmIdentificationMacro &algorithm = segment->getSegmentationAlgorithmIdentification();
            algorithm.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence");
            algorithm.setAlgorithmName("lungseg");
            algorithm.setAlgorithmVersion(software_version);
            if (algorithm_parameters != NULL && algorithm_parameters[0] != 0) algorithm.setAlgorithmParameters(algorithm_parameters);
            Uint16 number = 0;
            status = segmentation->addSegment(segment, number);
            if (status.bad()) {
                delete segment;
                cdcmtk::setMessage(message, message_capacity, "cannot add segment " + std::string(spec.label) + ": " + text(status));
                return CDCMTK_INTERNAL_ERROR;
            }
            segmentNumbers[spec.value] = number;
        }

        // Geometry shared by all frames: the source's orientation and pixel measures.
        std::unique_ptr<FGPlaneOrientationPatient> planeOrientation(FGPlaneOrientationPatient::createMinimal(
            orientation[0], orientation[1], orientation[2], orientation[3], orientation[4], orientation[5]));
        FGPixelMeasures pixelMeasures;
        if ((status = pixelMeasures.setPixelSpacing(pixelSpacing)).bad() ||
            (!sliceThickness.empty() && (status = pixelMeasures.setSliceThickness(sliceThickness)).bad()) ||
            (status = segmentation->addForAllFrames(*planeOrientation)).bad() ||
            (status = segmentation->addForAllFrames(pixelMeasures)).bad()) {
            cdcmtk::setMessage(message, message_capacity, "cannot set the frame geometry: " + text(status));
            return CDCMTK_INTERNAL_ERROR;
        }

        // Frames are indexed by segment, then by the slice's position (as DCMTK's and highdicom's
        // segmentations are).
        char dimensionUID[100];
        dcmGenerateUniqueIdentifier(dimensionUID, SITE_INSTANCE_UID_ROOT);
        IODMultiframeDimensionModule &dimensions = segmentation->getDimensions();
        if ((status = dimensions.addDimensionIndex(DCM_ReferencedSegmentNumber, dimensionUID, DCM_SegmentIdentificationSequence,
                                                   "ReferencedSegmentNumber")).bad() ||
            (status = dimensions.addDimensionIndex(DCM_ImagePositionPatient, dimensionUID, DCM_PlanePositionSequence,
                                                   "ImagePositionPatient")).bad()) {
            cdcmtk::setMessage(message, message_capacity, "cannot set the dimensions: " + text(status));
            return CDCMTK_INTERNAL_ERROR;
        }

        // One frame per segment and source slice that holds it; empty frames are left out.
        IODReferences references;
        const size_t plane = size_t(rows) * columns;
        std::vector<Uint8> frame(plane);
        size_t frames = 0;
        for (size_t s = 0; s < segment_count; ++s) {
            const uint8_t value = segments[s].value;
            for (size_t k = 0; k < slice_count; ++k) {
                const uint8_t *slice = labels + k * plane;
                bool any = false;
                for (size_t p = 0; p < plane; ++p) {
                    frame[p] = slice[p] == value ? 1 : 0;
                    any = any || frame[p];
                }
                if (!any) continue;
                FGPlanePosPatient *position = FGPlanePosPatient::createMinimal(slices[k].position[0], slices[k].position[1], slices[k].position[2]);
                OFVector<ImageSOPInstanceReferenceMacro> source(1);
                source[0].setReferencedSOPClassUID(slices[k].sopClass);
                source[0].setReferencedSOPInstanceUID(slices[k].sopInstance);
                FGDerivationImage *derivation = FGDerivationImage::createMinimal(
                    source, "Segmentation", CodeSequenceMacro("113076", "DCM", "Segmentation"),
                    CodeSequenceMacro("121322", "DCM", "Source image for image processing operation"));
                FGSegmentation segmentGroup;
                segmentGroup.setReferencedSegmentNumber(segmentNumbers[value]);
                FGFrameContent content;
                content.setDimensionIndexValues(segmentNumbers[value], 0);
                content.setDimensionIndexValues(Uint32(k + 1), 1);
                OFVector<FGBase *> perFrame;
                perFrame.push_back(&content);
                perFrame.push_back(position);
                perFrame.push_back(derivation);
                perFrame.push_back(&segmentGroup);
                status = segmentation->addFrame(frame.data(), segmentNumbers[value], perFrame);
                delete position;
                delete derivation;
                if (status.bad()) {
                    cdcmtk::setMessage(message, message_capacity, "cannot add a frame: " + text(status));
                    return CDCMTK_INTERNAL_ERROR;
                }
                ++frames;
            }
        }
        if (frames == 0) {
            cdcmtk::setMessage(message, message_capacity, "the mask is empty: a segmentation needs at least one frame");
            return CDCMTK_MISSING_ATTRIBUTE;
        }
        // The series the frames come from, for viewers that look there (Common Instance Reference).
        const OFString patientID = field(source.getDataset(), DCM_PatientID);
        const OFString studyUID = field(source.getDataset(), DCM_StudyInstanceUID);
        const OFString seriesUID = field(source.getDataset(), DCM_SeriesInstanceUID);
        for (size_t k = 0; k < slice_count; ++k) {
            references.add(new IODImageReference(patientID, studyUID, seriesUID, slices[k].sopInstance, slices[k].sopClass));
        }
        segmentation->getCommonInstanceReference().addReferences(references);
        DcmFileFormat file;
        status = segmentation->writeDataset(*file.getDataset());
        if (status.bad()) {
            cdcmtk::setMessage(message, message_capacity, std::string("cannot build the segmentation: ") + text(status));
            return CDCMTK_INTERNAL_ERROR;
        }
        // Every frame lies exactly on its source slice: say so (Spatial Locations Preserved), so
        // that readers such as highdicom may index the frames by their source images.
        DcmSequenceOfItems *perFrame = NULL;
        if (file.getDataset()->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrame).good() && perFrame != NULL) {
            for (unsigned long i = 0; i < perFrame->card(); ++i) {
                DcmItem *derivation = NULL, *sourceImage = NULL;
                if (perFrame->getItem(i)->findAndGetSequenceItem(DCM_DerivationImageSequence, derivation, 0).good() && derivation != NULL &&
                    derivation->findAndGetSequenceItem(DCM_SourceImageSequence, sourceImage, 0).good() && sourceImage != NULL) {
                    sourceImage->putAndInsertString(DCM_SpatialLocationsPreserved, "YES");
                }
            }
        }
        status = file.saveFile(output, EXS_LittleEndianExplicit);
        if (status.bad()) {
            cdcmtk::setMessage(message, message_capacity, std::string("cannot write ") + output + ": " + text(status));
            return CDCMTK_INTERNAL_ERROR;
        }
        return CDCMTK_OK;
    });
}

extern "C" cdcmtk_status cdcmtk_read_segmentation(
    const char *path, const char *const *source_paths, size_t slice_count, uint16_t rows, uint16_t columns, uint8_t *labels,
    size_t *segment_count, size_t *frame_count, char *message, size_t message_capacity) {
    return cdcmtk::guarded(message, message_capacity, [&]() -> cdcmtk_status {
        std::map<OFString, size_t> sliceOfInstance;
        for (size_t k = 0; k < slice_count; ++k) {
            DcmFileFormat file;
            if (file.loadFile(source_paths[k]).bad()) {
                cdcmtk::setMessage(message, message_capacity, std::string(source_paths[k]) + ": unreadable");
                return CDCMTK_READ_FAILED;
            }
            sliceOfInstance[field(file.getDataset(), DCM_SOPInstanceUID)] = k;
        }
        DcmSegmentation *loaded = NULL;
        OFCondition status = DcmSegmentation::loadFile(path, loaded);
        if (status.bad() || loaded == NULL) {
            cdcmtk::setMessage(message, message_capacity, std::string(path) + ": " + text(status));
            return CDCMTK_READ_FAILED;
        }
        std::unique_ptr<DcmSegmentation> segmentation(loaded);
        const size_t plane = size_t(rows) * columns;
        *segment_count = segmentation->getNumberOfSegments();
        *frame_count = segmentation->getNumberOfFrames();
        FGInterface &groups = segmentation->getFunctionalGroups();
        for (size_t f = 0; f < *frame_count; ++f) {
            const DcmIODTypes::Frame *frame = segmentation->getFrame(f);
            FGSegmentation *segment = OFstatic_cast(FGSegmentation *, groups.get(Uint32(f), DcmFGTypes::EFG_SEGMENTATION));
            FGDerivationImage *derivation = OFstatic_cast(FGDerivationImage *, groups.get(Uint32(f), DcmFGTypes::EFG_DERIVATIONIMAGE));
            Uint16 number = 0;
            if (frame == NULL || segment == NULL || derivation == NULL || segment->getReferencedSegmentNumber(number).bad() ||
                derivation->getDerivationImageItems().empty() || derivation->getDerivationImageItems()[0]->getSourceImageItems().empty()) {
                cdcmtk::setMessage(message, message_capacity, "frame " + std::to_string(f + 1) + " lacks its segment or source image");
                return CDCMTK_MISSING_ATTRIBUTE;
            }
            OFString instance;
            derivation->getDerivationImageItems()[0]->getSourceImageItems()[0]->getImageSOPInstanceReference().getReferencedSOPInstanceUID(instance);
            auto slice = sliceOfInstance.find(instance);
            if (slice == sliceOfInstance.end()) {
                cdcmtk::setMessage(message, message_capacity, "frame " + std::to_string(f + 1) + " refers to no slice of the series");
                return CDCMTK_MISSING_ATTRIBUTE;
            }
            // A BINARY segmentation's frames come back packed, 8 pixels a byte, the first pixel in
            // the lowest bit (DICOM PS3.5 8.1.1); one byte a pixel is read as it is.
            const bool packed = frame->length < plane;
            if (packed && frame->length * 8 < plane) {
                cdcmtk::setMessage(message, message_capacity, "frame " + std::to_string(f + 1) + " is shorter than Rows x Columns");
                return CDCMTK_MISSING_ATTRIBUTE;
            }
            uint8_t *target = labels + slice->second * plane;
            for (size_t p = 0; p < plane; ++p) {
                const bool set = packed ? (frame->pixData[p / 8] >> (p % 8)) & 1 : frame->pixData[p] != 0;
                if (set) target[p] = uint8_t(number);
            }
        }
        return CDCMTK_OK;
    });
}
