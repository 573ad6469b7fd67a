import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { canonicalPath, isUnder, joinPath, toLocalPath } from '../../src/io/paths.js';

describe('toLocalPath', () => {
  it('accepts file URIs in both forms and absolute paths', () => {
    expect(toLocalPath('file:///tmp/a')).toBe('/tmp/a');
    expect(toLocalPath('file:/tmp/x')).toBe('/tmp/x');
    expect(toLocalPath('file://localhost/tmp/x')).toBe('/tmp/x');
    expect(toLocalPath('/abs/p%20q')).toBe('/abs/p%20q');
  });
  it('percent-decodes file URIs', () => {
    expect(toLocalPath('file:///tmp/a%20b')).toBe('/tmp/a b');
    expect(toLocalPath('file:/tmp/%C3%A9t%C3%A9')).toBe('/tmp/été');
  });
  it('refuses other schemes, hosts, relative paths and NUL', () => {
    expect(() => toLocalPath('s3://bucket/key')).toThrow(ValidationError);
    expect(() => toLocalPath('s3://bucket/key')).toThrow(/not a local path/);
    expect(() => toLocalPath('https://x/y')).toThrow(ValidationError);
    expect(() => toLocalPath('file://otherhost/x')).toThrow(ValidationError);
    expect(() => toLocalPath('relative/path')).toThrow(/absolute/);
    expect(() => toLocalPath('./x')).toThrow(ValidationError);
    expect(() => toLocalPath('file:relative/x')).toThrow(ValidationError);
    expect(() => toLocalPath('file:')).toThrow(ValidationError);
    expect(() => toLocalPath('/a\u0000b')).toThrow(ValidationError);
    expect(() => toLocalPath('file:///a%00b')).toThrow(ValidationError);
  });
});

describe('joinPath', () => {
  it('joins with single slashes', () => {
    expect(joinPath('/w/', '/t/', 'metadata')).toBe('/w/t/metadata');
    expect(joinPath('/w', 'a//b', '', 'c/')).toBe('/w/a/b/c');
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('rel', 'x')).toBe('rel/x');
  });
  it('keeps the scheme and authority of URIs', () => {
    expect(joinPath('s3://b/x/', '/y/', 'z')).toBe('s3://b/x/y/z');
    expect(joinPath('s3://b', 'k')).toBe('s3://b/k');
    expect(joinPath('file:///', 'tmp', 'a')).toBe('file:///tmp/a');
    expect(joinPath('file:///w//t', 'm')).toBe('file:///w/t/m');
  });
});

describe('isUnder', () => {
  it('compares whole segments after normalising . and ..', () => {
    expect(isUnder('/a/b/c', '/a/b')).toBe(true);
    expect(isUnder('/a/b', '/a/b')).toBe(true);
    expect(isUnder('/a/b', '/a/b/')).toBe(true);
    expect(isUnder('/a/bc', '/a/b')).toBe(false);
    expect(isUnder('/a/b/../c', '/a/b')).toBe(false);
    expect(isUnder('/a/b/./c/../d', '/a/b')).toBe(true);
    expect(isUnder('/a/b/../../../etc/passwd', '/a/b')).toBe(false);
    expect(isUnder('/anything', '/')).toBe(true);
  });
  it('requires the same scheme and authority', () => {
    expect(isUnder('s3://b/w/t', 's3://b/w')).toBe(true);
    expect(isUnder('s3://b/wx', 's3://b/w')).toBe(false);
    expect(isUnder('s3://other/w/t', 's3://b/w')).toBe(false);
    expect(isUnder('/b/w/t', 's3://b/w')).toBe(false);
  });
});

describe('canonicalPath', () => {
  it('gives equivalent spellings of one file the same form', () => {
    const forms = ['/w/t/data/a.parquet', 'file:/w/t/data/a.parquet', 'file:///w/t/data/a.parquet', 'file://localhost/w/t/data/a.parquet', '/w/t//data/./a.parquet', 'FILE:///w/t/data/a.parquet'];
    expect(new Set(forms.map(canonicalPath))).toEqual(new Set(['/w/t/data/a.parquet']));
    expect(canonicalPath('file:///w/a%20b')).toBe('/w/a b');
    const s3 = ['s3://bucket/t/a.parquet', 's3a://bucket/t/a.parquet', 's3n://bucket/t/a.parquet', 'S3A://Bucket/t/a.parquet'];
    expect(new Set(s3.map(canonicalPath))).toEqual(new Set(['s3://bucket/t/a.parquet']));
  });
  it('keeps different files apart', () => {
    expect(canonicalPath('s3://bucket/t//a')).not.toBe(canonicalPath('s3://bucket/t/a'));
    expect(canonicalPath('s3://other/t/a')).not.toBe(canonicalPath('s3://bucket/t/a'));
    expect(canonicalPath('gs://bucket/t/a')).not.toBe(canonicalPath('s3://bucket/t/a'));
    expect(canonicalPath('/w/t/A.parquet')).not.toBe(canonicalPath('/w/t/a.parquet'));
    expect(canonicalPath('file://otherhost/w/a')).not.toBe(canonicalPath('/w/a'));
  });
});
