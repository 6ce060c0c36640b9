# frozen_string_literal: true

# What Bundler requires for the jekyll-postpix gem: the plugin itself.
require_relative "postpix"
