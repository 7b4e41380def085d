#include "common/errc.h"

namespace shoal {

std::string_view errc_name(errc e) {
  switch (e) {
#define SHOAL_ERRC_NAME(en, code, name, retriable, description) \
  case errc::en:                                                \
    return name;
    SHOAL_ERRC_LIST(SHOAL_ERRC_NAME)
#undef SHOAL_ERRC_NAME
  }
  return "UNKNOWN";
}

bool errc_retriable(errc e) {
  switch (e) {
#define SHOAL_ERRC_RETRIABLE(en, code, name, retriable, description) \
  case errc::en:                                                     \
    return retriable;
    SHOAL_ERRC_LIST(SHOAL_ERRC_RETRIABLE)
#undef SHOAL_ERRC_RETRIABLE
  }
  return false;
}

std::string_view errc_description(errc e) {
  switch (e) {
#define SHOAL_ERRC_DESCRIPTION(en, code, name, retriable, description) \
  case errc::en:                                                       \
    return description;
    SHOAL_ERRC_LIST(SHOAL_ERRC_DESCRIPTION)
#undef SHOAL_ERRC_DESCRIPTION
  }
  return "Unknown broker error";
}

bool errc_known(int code) {
  switch (code) {
#define SHOAL_ERRC_KNOWN(en, c, name, retriable, description) case c:
    SHOAL_ERRC_LIST(SHOAL_ERRC_KNOWN)
#undef SHOAL_ERRC_KNOWN
    return true;
  }
  return false;
}

}  // namespace shoal
