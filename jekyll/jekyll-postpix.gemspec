# frozen_string_literal: true

# The Jekyll plugin as a gem: `gem build jekyll-postpix.gemspec` here, then in the site's Gemfile
# `gem "jekyll-postpix", path: "path/to/postpix/jekyll"` in the :jekyll_plugins group. The
# `postpix` binary itself is installed apart (cargo install); see postpix.rb.
Gem::Specification.new do |s|
  s.name = "jekyll-postpix"
  s.version = "0.1.0"
  s.summary = "Serve every post's images as postpix's responsive <picture> markup, sources untouched"
  s.authors = ["postpix"]
  s.license = "MIT OR Apache-2.0"
  s.files = ["postpix.rb", "jekyll-postpix.rb"]
  s.require_paths = ["."]
  s.required_ruby_version = ">= 2.7"
  s.add_runtime_dependency "jekyll", ">= 4.0", "< 5"
end
