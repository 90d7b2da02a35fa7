// camscope evaluate: the faithfulness metrics (wasm/metrics/metrics.h) of chosen methods over
// pictures or folders, as a CSV, a JSON document and an SVG plot of the mean curves.
#include "evaluate.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "image_io.h"
#include "json.h"
#include "metrics/metrics.h"
#include "session.h"
#include "weights_io.h"

namespace camscope {
namespace {

namespace fs = std::filesystem;

const char kEvalUsage[] =
    "usage: camscope evaluate DIR|IMG... --weights FILE [--layer NAME]\n"
    "         [--method gradcam,layercam,...] [--class true|predicted|all] [--steps 50]\n"
    "         [--deletion-baseline zero|mean|blur] [--insertion-baseline zero|mean|blur]\n"
    "         [--road 10,30,50,70,90 | --road none] [--road-noise 0.01] [--sanity N] [--out DIR]\n"
    "Scores each picture's maps with deletion / insertion curves (RISE), Average Drop and\n"
    "Increase in Confidence (Grad-CAM++ paper), ROAD (MoRF / LeRF with noisy linear\n"
    "imputation) and, with --sanity N, cascading model randomisation on the first N pictures.\n"
    "A random map is always scored too, as the baseline a method must beat. Pictures in a\n"
    "folder named like a class (cat/, dog/) are scored for that class (--class true, the\n"
    "default when there are such folders), others for the predicted class. Writes\n"
    "evaluate.csv, evaluate.json (definitions, per-picture curves, means) and curves.svg.\n";

struct EvalOptions {
  std::vector<std::string> inputs;
  std::string weights, layer, method = "gradcam,layercam", cls, out = "camscope_out";
  int steps = 50;
  metrics::Baseline del_base = metrics::Baseline::Zero, ins_base = metrics::Baseline::Blur;
  std::vector<int> road = {10, 30, 50, 70, 90};
  float road_noise = 0.01f;
  int sanity = 0;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (ch != ' ') {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

bool is_picture(const fs::path& p) {
  const std::string e = lower(p.extension().string());
  return e == ".jpg" || e == ".jpeg" || e == ".png" || e == ".webp" || e == ".bmp" || e == ".gif";
}

// One picture to score: its path and the class its folder names (-1: none).
struct Item {
  std::string path;
  int true_class = -1;
};

// The nearest enclosing folder (below the input) named like a class.
int folder_class(const fs::path& file, const fs::path& root,
                 const std::vector<std::string>& classes) {
  for (fs::path d = file.parent_path(); !d.empty() && d != root && d != d.parent_path();
       d = d.parent_path()) {
    const std::string name = lower(d.filename().string());
    for (size_t c = 0; c < classes.size(); ++c)
      if (name == lower(classes[c])) return static_cast<int>(c);
  }
  return -1;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// Mean and standard deviation.
std::pair<double, double> mean_sd(const std::vector<double>& v) {
  if (v.empty()) return {NAN, NAN};
  double m = 0.0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s = 0.0;
  for (double x : v) s += (x - m) * (x - m);
  return {m, std::sqrt(s / static_cast<double>(v.size()))};
}

struct Row {
  std::string picture;
  int true_class = -1, predicted = -1, cls = -1;
  std::string method;
  std::vector<float> deletion, insertion, morf, lerf, sanity;
  double del_auc = NAN, ins_auc = NAN;
  metrics::Confidence conf;
};

// Okabe-Ito colours (colour-blind safe), one per method in order.
const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                          "#E69F00", "#56B4E9", "#000000"};

std::string svg_plot(const std::vector<std::string>& methods, const std::vector<Row>& rows,
                     int steps, const std::string& title) {
  const int pw = 360, ph = 240, ml = 50, mt = 40, gap = 60;
  const int width = ml + 2 * pw + gap + 20, height = mt + ph + 90;
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' "
       "fill='white'/>\n"
    << "<text x='" << ml << "' y='20' font-size='14'>" << title << "</text>\n";
  for (int panel = 0; panel < 2; ++panel) {
    const int x0 = ml + panel * (pw + gap);
    s << "<text x='" << x0 << "' y='" << mt - 6 << "'>"
      << (panel == 0 ? "Deletion (lower area is better)" : "Insertion (higher area is better)")
      << "</text>\n<rect x='" << x0 << "' y='" << mt << "' width='" << pw << "' height='" << ph
      << "' fill='none' stroke='#444'/>\n";
    for (int t = 0; t <= 4; ++t) {
      const double f = t / 4.0;
      s << "<text x='" << x0 + f * pw - 8 << "' y='" << mt + ph + 16 << "'>" << f << "</text>"
        << "<text x='" << x0 - 30 << "' y='" << mt + ph - f * ph + 4 << "'>" << f << "</text>\n";
    }
    s << "<text x='" << x0 + pw / 2 - 60 << "' y='" << mt + ph + 34 << "'>fraction of pixels "
      << (panel == 0 ? "removed" : "revealed") << "</text>\n";
    for (size_t mi = 0; mi < methods.size(); ++mi) {
      std::vector<std::vector<double>> at(static_cast<size_t>(steps) + 1);
      for (const Row& r : rows) {
        if (r.method != methods[mi]) continue;
        const std::vector<float>& c = panel == 0 ? r.deletion : r.insertion;
        for (size_t t = 0; t < c.size() && t < at.size(); ++t) at[t].push_back(c[t]);
      }
      if (at[0].empty()) continue;
      std::string line, upper, lower_edge;
      for (int t = 0; t <= steps; ++t) {
        const auto [m, sd] = mean_sd(at[t]);
        const double px = x0 + static_cast<double>(t) / steps * pw;
        auto py = [&](double v) { return mt + ph - std::min(1.0, std::max(0.0, v)) * ph; };
        line += (t ? " " : "") + num(px) + "," + num(py(m));
        upper += (t ? " " : "") + num(px) + "," + num(py(m + sd));
        lower_edge = num(px) + "," + num(py(m - sd)) + (t ? " " : "") + lower_edge;
      }
      const char* col = kColours[mi % 7];
      s << "<polygon points='" << upper << " " << lower_edge << "' fill='" << col
        << "' fill-opacity='0.15' stroke='none'/>\n<polyline points='" << line
        << "' fill='none' stroke='" << col << "' stroke-width='2'/>\n";
    }
  }
  for (size_t mi = 0; mi < methods.size(); ++mi) {
    const int lx = ml + static_cast<int>(mi) * 140, ly = mt + ph + 60;
    s << "<rect x='" << lx << "' y='" << ly - 10 << "' width='14' height='10' fill='"
      << kColours[mi % 7] << "'/><text x='" << lx + 18 << "' y='" << ly << "'>" << methods[mi]
      << "</text>\n";
  }
  s << "<text x='" << ml << "' y='" << height - 8
    << "' fill='#444'>lines: mean over pictures; bands: plus or minus one standard "
       "deviation</text>\n"
    << "</svg>\n";
  return s.str();
}

int fail(const std::string& why) {
  std::fprintf(stderr, "camscope evaluate: %s\n%s", why.c_str(), kEvalUsage);
  return 2;
}

}  // namespace

int run_evaluate(int argc, char** argv) {
  EvalOptions o;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string& dst) {
      if (i + 1 >= argc) return false;
      dst = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      std::fputs(kEvalUsage, stdout);
      return 0;
    } else if (a == "--weights") {
      if (!value(o.weights)) return fail("--weights needs a file");
    } else if (a == "--layer") {
      if (!value(o.layer)) return fail("--layer needs a name");
    } else if (a == "--method") {
      if (!value(o.method)) return fail("--method needs names");
    } else if (a == "--class") {
      if (!value(o.cls) || (o.cls != "true" && o.cls != "predicted" && o.cls != "all"))
        return fail("--class is true, predicted or all");
    } else if (a == "--out") {
      if (!value(o.out)) return fail("--out needs a folder");
    } else if (a == "--steps") {
      if (!value(v) || (o.steps = std::atoi(v.c_str())) < 1 || o.steps > 1000)
        return fail("--steps is 1..1000");
    } else if (a == "--deletion-baseline" || a == "--insertion-baseline") {
      if (!value(v) ||
          !metrics::parse_baseline(v, a == "--deletion-baseline" ? o.del_base : o.ins_base))
        return fail(a + " is zero, mean or blur");
    } else if (a == "--road") {
      if (!value(v)) return fail("--road needs percentages or none");
      o.road.clear();
      if (v != "none")
        for (const std::string& p : split(v)) {
          const int r = std::atoi(p.c_str());
          if (r < 1 || r > 99) return fail("--road percentages are 1..99");
          o.road.push_back(r);
        }
    } else if (a == "--road-noise") {
      if (!value(v)) return fail("--road-noise needs a number");
      o.road_noise = static_cast<float>(std::atof(v.c_str()));
    } else if (a == "--sanity") {
      if (!value(v) || (o.sanity = std::atoi(v.c_str())) < 0) return fail("--sanity needs N >= 0");
    } else if (!a.empty() && a[0] == '-') {
      return fail("unknown option " + a);
    } else {
      o.inputs.push_back(a);
    }
  }
  if (o.weights.empty()) return fail("--weights is needed");
  if (o.inputs.empty()) return fail("no pictures or folders");
  Session s;
  {
    std::ifstream f(o.weights, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), {});
    std::string err;
    if (!f.good() && bytes.empty()) return fail(o.weights + ": cannot read");
    if (!s.load_weights(bytes.data(), bytes.size(), err)) return fail(o.weights + ": " + err);
  }
  const Net& net = s.net();
  const int layer = o.layer.empty() ? net.default_layer() : net.find(o.layer);
  if (layer < 0) return fail("unknown layer '" + o.layer + "' (camscope layers lists them)");
  const std::string layer_name = o.layer.empty() ? net.nodes[layer].name : o.layer;
  std::vector<std::string> methods;
  for (const std::string& m : split(o.method)) {
    const Method* d = find_method(m);
    if (m != "random" && (d == nullptr || d->kind == MethodKind::Picture))
      return fail("'" + m +
                  "' is not a map method (layer or score methods: gradcam, layercam, ...)");
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  }
  if (std::find(methods.begin(), methods.end(), "random") == methods.end())
    methods.push_back("random");
  // Pictures, with the class their folder names.
  std::vector<Item> items;
  for (const std::string& in : o.inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> files;
      for (auto it = fs::recursive_directory_iterator(in, ec); !ec && it != fs::end(it);
           it.increment(ec))
        if (it->is_regular_file(ec) && is_picture(it->path())) files.push_back(it->path());
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files)
        items.push_back({f.string(), folder_class(f, in, net.info.classes)});
    } else {
      items.push_back({in, -1});
    }
  }
  if (items.empty()) return fail("no pictures found");
  const bool any_true =
      std::any_of(items.begin(), items.end(), [](const Item& i) { return i.true_class >= 0; });
  const std::string mode = o.cls.empty() ? (any_true ? "true" : "predicted") : o.cls;
  std::error_code ec;
  fs::create_directories(o.out, ec);
  std::vector<Row> rows;
  int failed = 0, correct = 0, labelled = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    Picture pic;
    std::string err;
    if (!read_picture(items[i].path, pic, err) ||
        !s.set_picture(pic.rgb.data(), pic.width, pic.height, 3, err)) {
      std::fprintf(stderr, "camscope: %s: %s\n", items[i].path.c_str(), err.c_str());
      ++failed;
      continue;
    }
    const int pred = s.predicted();
    if (items[i].true_class >= 0) {
      ++labelled;
      correct += pred == items[i].true_class;
    }
    std::vector<int> classes;
    if (mode == "all") {
      for (size_t c = 0; c < net.info.classes.size(); ++c) classes.push_back(static_cast<int>(c));
    } else {
      classes.push_back(mode == "true" && items[i].true_class >= 0 ? items[i].true_class : pred);
    }
    for (const std::string& m : methods) {
      if (m == "scorecam")
        while (s.score_cam_run(layer, 1 << 20) < s.activation(layer).shape.c) {
        }
      for (int cls : classes) {
        Row r;
        r.picture = items[i].path;
        r.true_class = items[i].true_class;
        r.predicted = pred;
        r.cls = cls;
        r.method = m;
        s.curve_run(m, layer, cls, false, o.steps, o.del_base, 1 << 20, &r.deletion);
        s.curve_run(m, layer, cls, true, o.steps, o.ins_base, 1 << 20, &r.insertion);
        r.del_auc = metrics::auc(r.deletion);
        r.ins_auc = metrics::auc(r.insertion);
        r.conf = s.confidence(m, layer, cls);
        if (!o.road.empty()) {
          r.morf = s.road(m, layer, cls, true, o.road, o.road_noise);
          r.lerf = s.road(m, layer, cls, false, o.road, o.road_noise);
        }
        if (static_cast<int>(i) < o.sanity && m != "random") {
          const int n = static_cast<int>(metrics::cascade_order(net).size());
          for (int st = 0; st < n; ++st)
            r.sanity.push_back(static_cast<float>(s.sanity_step(m, layer, cls, st)));
        }
        rows.push_back(std::move(r));
      }
    }
    std::fprintf(stderr, "\revaluate: %zu/%zu pictures", i + 1, items.size());
  }
  std::fprintf(stderr, "\n");
  // CSV.
  const auto mean_of = [](const std::vector<float>& v) -> double {
    if (v.empty()) return NAN;
    double m = 0.0;
    for (float x : v) m += x;
    return m / static_cast<double>(v.size());
  };
  std::ofstream csv(fs::path(o.out) / "evaluate.csv");
  csv << "picture,true_class,predicted,class,method,deletion_auc,insertion_auc,original_prob,"
         "masked_prob,drop,increase,road_morf_mean,road_lerf_mean,road_combined,sanity_last\n";
  for (const Row& r : rows) {
    const double morf = mean_of(r.morf), lerf = mean_of(r.lerf);
    csv << '"' << r.picture << "\"," << (r.true_class >= 0 ? net.info.classes[r.true_class] : "")
        << ',' << net.info.classes[r.predicted] << ',' << net.info.classes[r.cls] << ',' << r.method
        << ',' << num(r.del_auc) << ',' << num(r.ins_auc) << ',' << num(r.conf.original) << ','
        << num(r.conf.masked) << ',' << num(r.conf.drop) << ',' << (r.conf.increase ? 1 : 0) << ','
        << num(morf) << ',' << num(lerf) << ',' << num((lerf - morf) / 2) << ','
        << (r.sanity.empty() ? "" : num(r.sanity.back())) << '\n';
  }
  // JSON: settings, definitions, summary per method, rows with curves.
  std::string j = "{\"model\":" + json_string(net.info.name) +
                  ",\"weights\":" + json_string(o.weights) +
                  ",\"layer\":" + json_string(layer_name) + ",\"classes_scored\":\"" + mode +
                  "\",\"steps\":" + std::to_string(o.steps) + ",\"deletion_baseline\":\"" +
                  metrics::baseline_name(o.del_base) + "\",\"insertion_baseline\":\"" +
                  metrics::baseline_name(o.ins_base) + "\",\"road_percents\":[";
  for (size_t i = 0; i < o.road.size(); ++i) j += (i ? "," : "") + std::to_string(o.road[i]);
  j += "],\"road_noise\":" + num(o.road_noise) + ",\"pictures\":" + std::to_string(items.size()) +
       ",\"failed\":" + std::to_string(failed) +
       ",\"accuracy\":" + (labelled ? num(static_cast<double>(correct) / labelled) : "null") +
       ",\"definitions\":{"
       "\"deletion\":\"probability of the class as the map's most relevant pixels are replaced by "
       "the baseline, in steps; area under the curve, lower is better\","
       "\"insertion\":\"probability as they are revealed on the baseline; higher is better\","
       "\"average_drop\":\"100 * mean of max(0, Y - O) / Y, Y on the picture, O on the picture "
       "times the map scaled to [0, 1]; lower is better (relative, not absolute, drop)\","
       "\"increase_in_confidence\":\"100 * share of pictures with O > Y; higher is better\","
       "\"road\":\"probability after removing r% most (MoRF) / least (LeRF) relevant pixels, "
       "filled by noisy linear imputation; combined = mean (LeRF - MoRF) / 2, higher is better\","
       "\"sanity\":\"Spearman correlation of the map with the map of the model with its "
       "parameterised layers re-initialised from the logits down, per step\"},\"summary\":{";
  for (size_t mi = 0; mi < methods.size(); ++mi) {
    std::vector<double> da, ia, drop, inc, morf, lerf;
    for (const Row& r : rows) {
      if (r.method != methods[mi]) continue;
      da.push_back(r.del_auc);
      ia.push_back(r.ins_auc);
      drop.push_back(r.conf.drop);
      inc.push_back(r.conf.increase ? 1.0 : 0.0);
      if (!r.morf.empty()) morf.push_back(mean_of(r.morf)), lerf.push_back(mean_of(r.lerf));
    }
    auto ms = [&](const std::vector<double>& v, double scale = 1.0) {
      const auto [m, sd] = mean_sd(v);
      return "{\"mean\":" + num(m * scale) + ",\"sd\":" + num(sd * scale) + "}";
    };
    std::vector<double> comb;
    for (size_t k = 0; k < morf.size(); ++k) comb.push_back((lerf[k] - morf[k]) / 2);
    j += std::string(mi ? "," : "") + json_string(methods[mi]) +
         ":{\"n\":" + std::to_string(da.size()) + ",\"deletion_auc\":" + ms(da) +
         ",\"insertion_auc\":" + ms(ia) + ",\"average_drop\":" + ms(drop, 100.0) +
         ",\"increase_in_confidence\":" + ms(inc, 100.0) + ",\"road_morf\":" + ms(morf) +
         ",\"road_lerf\":" + ms(lerf) + ",\"road_combined\":" + ms(comb) + "}";
  }
  j += "},\"rows\":[";
  auto arr = [](const std::vector<float>& v) {
    std::string a = "[";
    for (size_t i = 0; i < v.size(); ++i) a += (i ? "," : "") + num(v[i]);
    return a + "]";
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    j += std::string(i ? "," : "") + "{\"picture\":" + json_string(r.picture) +
         ",\"class\":" + json_string(net.info.classes[r.cls]) +
         ",\"method\":" + json_string(r.method) + ",\"deletion\":" + arr(r.deletion) +
         ",\"insertion\":" + arr(r.insertion) + ",\"road_morf\":" + arr(r.morf) +
         ",\"road_lerf\":" + arr(r.lerf) + ",\"sanity\":" + arr(r.sanity) + "}";
  }
  j += "]}\n";
  std::ofstream(fs::path(o.out) / "evaluate.json") << j;
  std::ofstream(fs::path(o.out) / "curves.svg")
      << svg_plot(methods, rows, o.steps,
                  net.info.name + " at " + layer_name + ": " +
                      std::to_string(items.size() - failed) + " pictures, " + mode + " class");
  // A short table on stdout.
  std::printf("%-14s %6s %9s %9s %8s %8s %9s\n", "method", "n", "del.AUC", "ins.AUC", "AvgDrop",
              "IncConf", "ROAD");
  for (const std::string& m : methods) {
    std::vector<double> da, ia, drop, inc, comb;
    for (const Row& r : rows) {
      if (r.method != m) continue;
      da.push_back(r.del_auc), ia.push_back(r.ins_auc), drop.push_back(r.conf.drop);
      inc.push_back(r.conf.increase ? 1.0 : 0.0);
      if (!r.morf.empty()) comb.push_back((mean_of(r.lerf) - mean_of(r.morf)) / 2);
    }
    std::printf("%-14s %6zu %9.4f %9.4f %7.2f%% %7.2f%% %9.4f\n", m.c_str(), da.size(),
                mean_sd(da).first, mean_sd(ia).first, 100 * mean_sd(drop).first,
                100 * mean_sd(inc).first, comb.empty() ? NAN : mean_sd(comb).first);
  }
  if (labelled)
    std::printf("accuracy on the %d pictures in class folders: %.2f%%\n", labelled,
                100.0 * correct / labelled);
  std::printf("wrote %s/evaluate.csv, evaluate.json, curves.svg\n", o.out.c_str());
  return failed ? 1 : 0;
}

}  // namespace camscope
