# frozen_string_literal: true

# postpix for Jekyll: a plain `jekyll build` or `jekyll serve` serves every post's images as
# postpix's responsive <picture> markup, and nothing is written to the site's sources.
#
# Install: copy this file into the site's _plugins/ folder (or use the gem built from
# jekyll-postpix.gemspec beside it: `gem "jekyll-postpix"` in the Gemfile's :jekyll_plugins
# group), and have the `postpix` binary on PATH, or its path in the POSTPIX_BIN environment
# variable. Settings come from the `postpix:` block of _config.yml, as for `postpix build`.
#
# On every build, and on every regeneration of `jekyll serve`, once Jekyll has read the site and
# before it renders anything, the plugin runs `postpix render` once:
#   - postpix encodes what is missing (incrementally: its cache is .jekyll-cache/postpix unless
#     the postpix: block names a cache_dir) and writes the variants into the generated site
#     (site.dest), at the paths they would have in the site; the variant folders are added to
#     keep_files, so Jekyll's clean-up leaves them;
#   - every document's content goes to postpix on stdin, and comes back with each image
#     reference replaced by the markup `postpix build` would write (the one rewrite, in Rust);
#     the plugin puts it in place of the content (and redoes the excerpt), so Liquid and
#     kramdown render it as usual ({{ site.baseurl }} in a link is rendered by Liquid then);
#   - the front-matter images' data becomes site.data["postpix"], and
#     {% include postpix/picture.html %} is served from the cache (unless the site has its own).
# A content another plugin changed before this hook is left as it is (postpix rewrites only
# text whose byte spans it knows). If postpix cannot run, the build stops with its message.

require "fileutils"
require "json"
require "open3"
require "pathname"

module Postpix
  # One run of `postpix render` for one build of a Jekyll site.
  class JekyllRender
    def initialize(site)
      @site = site
    end

    def run
      docs = documents
      answer = ask(docs)
      by_path = answer.fetch("documents").to_h { |a| [a["path"], a] }
      docs.each { |path, doc| apply(doc, by_path[path]) }
      @site.keep_files |= answer.fetch("keep")
      data(answer)
    end

    private

    # [site-relative path, document] for every document and page with a content.
    def documents
      source = Pathname.new(@site.source)
      (@site.documents + @site.pages).filter_map do |doc|
        next unless doc.content.is_a?(String)

        abs = doc.is_a?(Jekyll::Document) ? doc.path : @site.in_source_dir(doc.relative_path)
        [Pathname.new(abs).relative_path_from(source).to_s, doc]
      end
    end

    def cache_dir
      own = (@site.config["postpix"] || {})["cache_dir"]
      own ? nil : @site.in_source_dir(@site.config["cache_dir"] || ".jekyll-cache", "postpix")
    end

    def command
      cmd = [ENV.fetch("POSTPIX_BIN", "postpix"), "render", @site.source, "--dest", @site.dest]
      cmd += ["--cache-dir", cache_dir] if cache_dir
      cmd
    end

    def ask(docs)
      input = docs.map { |path, doc| JSON.generate("path" => path, "content" => doc.content) + "\n" }
      out, err, status = Open3.capture3(*command, stdin_data: input.join)
      # The summary's first paragraph at info level, the whole report at debug (--verbose).
      head = err.split(/\n\s*\n/).first.to_s
      head.each_line { |l| Jekyll.logger.info("postpix:", l.chomp) }
      err.each_line { |l| Jekyll.logger.debug("postpix:", l.chomp) }
      unless [0, 1].include?(status.exitstatus)
        raise Jekyll::Errors::FatalException, "postpix render failed (#{status}): #{err.strip}"
      end
      Jekyll.logger.warn("postpix:", "some images failed; see above") if status.exitstatus == 1
      JSON.parse(out)
    rescue Errno::ENOENT
      raise Jekyll::Errors::FatalException,
            "postpix: cannot run #{command.first.inspect}: install postpix or set POSTPIX_BIN"
    end

    def apply(doc, answer)
      return unless answer && answer["content"]

      doc.content = answer["content"]
      # The excerpt was cut from the content when Jekyll read it: cut it again.
      doc.data["excerpt"] = Jekyll::Excerpt.new(doc) if doc.data["excerpt"].is_a?(Jekyll::Excerpt)
    end

    # site.data["postpix"] and the include that renders it, for front-matter (hero) images.
    def data(answer)
      @site.data["postpix"] = answer["data"] if answer["data"]
      return if File.exist?(@site.in_source_dir("_includes/postpix/picture.html"))

      dir = @site.in_source_dir(@site.config["cache_dir"] || ".jekyll-cache", "postpix-includes")
      file = File.join(dir, "postpix", "picture.html")
      unless File.exist?(file) && File.read(file) == answer["include"]
        FileUtils.mkdir_p(File.dirname(file))
        File.write(file, answer["include"])
      end
      paths = @site.includes_load_paths
      return if paths.include?(dir)

      # Jekyll freezes the list once an include tag has read it.
      paths.frozen? ? @site.instance_variable_set(:@includes_load_paths, paths + [dir]) : paths << dir
    end
  end
end

Jekyll::Hooks.register :site, :pre_render do |site, _payload|
  Postpix::JekyllRender.new(site).run
end
