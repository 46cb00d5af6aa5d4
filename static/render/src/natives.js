// The browser's own functions, kept before the virtual clock or the post's code replaces them.
export const Promise = window.Promise;
export const MessageChannel = window.MessageChannel;
export const RealError = window.Error;
export const realFrame = window.requestAnimationFrame.bind(window);
export const realSetTimeout = window.setTimeout.bind(window);
export const realNow = performance.now.bind(performance);
export const RealDate = Date;
