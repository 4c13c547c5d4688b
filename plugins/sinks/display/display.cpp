#include "display.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <opencv2/highgui.hpp>

namespace sluice::sinks {
namespace {

// Set while a display node of this process may show windows (see display.h).
std::atomic<bool> g_window_system_taken{false};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Whether an X server answers at `display`. Asked through libX11 opened at run time
// (OpenCV's Qt loads it anyway) because Qt, given a display it cannot open, aborts the
// whole process instead of failing. When libX11 itself is missing, assume it answers.
bool x_display_answers(const std::string& display) {
  void* x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
  if (!x11) return true;
  // Kept loaded: libX11 registers handlers that must not outlive it, and Qt will use it.
  using OpenFn = void* (*)(const char*);
  using CloseFn = int (*)(void*);
  auto open = reinterpret_cast<OpenFn>(dlsym(x11, "XOpenDisplay"));
  auto close = reinterpret_cast<CloseFn>(dlsym(x11, "XCloseDisplay"));
  if (!open || !close) return true;
  void* connection = open(display.c_str());
  if (!connection) return false;
  close(connection);
  return true;
}

// Why no window can be shown, or "" when one can. Follows the platform Qt will pick:
// QT_QPA_PLATFORM when set, else X11 (Qt 5's default on Linux).
std::string why_no_display() {
  std::string platform = env("QT_QPA_PLATFORM");
  platform = platform.substr(0, platform.find(':'));  // "offscreen:size=..." options
  if (platform.rfind("wayland", 0) == 0)
    return env("WAYLAND_DISPLAY").empty()
               ? "no display (QT_QPA_PLATFORM is " + platform + " but WAYLAND_DISPLAY is not set)"
               : "";
  if (!platform.empty() && platform != "xcb") return "";  // offscreen, eglfs, vnc...: no X
  const std::string display = env("DISPLAY");
  if (display.empty())
    return env("WAYLAND_DISPLAY").empty()
               ? "no display (DISPLAY and WAYLAND_DISPLAY are not set)"
               : "no X display (DISPLAY is not set; OpenCV's windows need X11, e.g. XWayland, "
                 "or QT_QPA_PLATFORM=wayland)";
  if (!x_display_answers(display)) return "cannot open display '" + display + "'";
  return "";
}

}  // namespace

Display::~Display() { release_windows(); }

Status Display::open(const Params& params) {
  title_ = params.get(kTitle);
  optional_ = params.get(kOptional);
  wait_ms_ = params.get(kWaitMs);
  style_ = sinks::style_from(params);
  const std::string why = why_no_display();
  if (!why.empty()) {
    if (optional_) {
      headless_ = true;
      return ok();
    }
    return unavailable(why + "; set optional = true to run without a window");
  }
  if (g_window_system_taken.exchange(true))
    return invalid_argument(
        "another display node already shows windows: OpenCV drives all windows of a process "
        "from one thread, so send every stream to one display node");
  owns_window_system_ = true;
  return ok();
}

Status Display::process(Context& ctx) {
  const PacketHeader& h = ctx.header();
  if (h.sub_index >= 0)
    return invalid_argument("got part " + std::to_string(h.sub_index + 1) + "/" +
                            std::to_string(h.sub_count) +
                            " of a frame; a window shows whole frames (connect packets from "
                            "before the split)");
  if (title_.find("{stream}") == std::string::npos)
    SLUICE_RETURN_IF_ERROR(one_stream_.check(h.stream_id, "title", title_));
  const std::string name = replace_all(title_, "{stream}", std::to_string(h.stream_id));
  if (headless_ || closed_.count(name)) {
    ctx.add_to_counter("not_shown");
    return ok();
  }
  SLUICE_ASSIGN_OR_RETURN(cv::Mat image, sinks::render(ctx, style_));
  try {
    if (windows_.insert(name).second) {
      cv::namedWindow(name, cv::WINDOW_NORMAL | cv::WINDOW_KEEPRATIO | cv::WINDOW_GUI_NORMAL);
      // Large pictures start at a size that fits a screen; the window can be resized.
      const double fit = std::min({1.0, 1280.0 / image.cols, 720.0 / image.rows});
      cv::resizeWindow(name, static_cast<int>(image.cols * fit),
                       static_cast<int>(image.rows * fit));
    }
    cv::imshow(name, image);
    cv::waitKey(wait_ms_);
    if (cv::getWindowProperty(name, cv::WND_PROP_VISIBLE) < 1) closed_.insert(name);
  } catch (const cv::Exception& e) {
    if (!optional_) return unavailable("cannot show window '" + name + "': " + e.what());
    headless_ = true;  // optional: go on without windows
    ctx.add_to_counter("not_shown");
  }
  return ok();
}

Status Display::close(Context&) {
  release_windows();
  return ok();
}

void Display::release_windows() {
  if (!windows_.empty()) {
    try {
      cv::destroyAllWindows();
      cv::waitKey(1);  // lets the window system handle the destruction
    } catch (const cv::Exception&) {
      // Closing windows at the end of a run is best effort.
    }
    windows_.clear();
  }
  if (owns_window_system_) {
    g_window_system_taken.store(false);
    owns_window_system_ = false;
  }
}

}  // namespace sluice::sinks

SLUICE_EXPORT_NODES(sluice::sinks::Display)
