// The mail screen's operations. The page asks for what it shows in one request (mailboxes,
// the chosen folder's list, the open message and its thread); the rest are writes.
// No @include/@skip in the page's query: until a mailbox (a message) is chosen, its empty
// ID answers an empty list (null). The gateway's shape cache keys a selection by the id()
// of lists it builds per request when a selection set has such directives (see
// gateway/executor.py _Shaper.compile): an id reused by a later request's list handed
// that request another selection's shape (the list's rows shaped as the open message:
// "Cannot return null for non-nullable field MailMessage.textBody").
import { graphql } from "../../gql";

export const MailPageQuery = graphql(`
  query MailPage(
    $mailboxId: ID!
    $folderId: ID
    $search: MailSearchInput
    $first: Int!
    $offset: Int!
    $messageId: ID!
  ) {
    me {
      id
      roles
    }
    mailboxes {
      id
      kind
      name
      address
      unreadCount
      folders {
        id
        role
        name
        unreadCount
        totalCount
      }
    }
    mailMessages(
      mailboxId: $mailboxId
      folderId: $folderId
      search: $search
      first: $first
      offset: $offset
    ) {
      totalCount
      messages {
        id
        ...MailListItem_message
      }
    }
    mailMessage(id: $messageId) {
      id
      ...MailReader_message
    }
    mailThread(id: $messageId) {
      id
      subject
      sentAt
      receivedAt
      from {
        name
        address
      }
    }
  }
`);

export const MailEventsSubscription = graphql(`
  subscription MailPageEvents {
    mailEvents {
      kind
      messageId
    }
  }
`);

export const MailComposeQuery = graphql(`
  query MailComposeFrom($id: ID!, $mode: MailComposeMode!) {
    mailCompose(id: $id, mode: $mode) {
      to
      cc
      subject
      textBody
      replyToId
      # FORWARD: the original's files (not held ones), sent along unless taken off.
      attachments {
        id
        name
        size
      }
    }
  }
`);

export const MailAddressSuggestionsQuery = graphql(`
  query MailAddressSuggestions($search: String!) {
    mailAddressSuggestions(search: $search, first: 8) {
      name
      address
    }
  }
`);

export const SendMailMutation = graphql(`
  mutation SendMail($input: SendMailInput!) {
    sendMail(input: $input) {
      message {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const SaveMailDraftMutation = graphql(`
  mutation SaveMailDraft($input: SendMailInput!) {
    saveMailDraft(input: $input) {
      message {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const MarkMailMutation = graphql(`
  mutation MarkMail($input: MarkMailInput!) {
    markMail(input: $input) {
      messages {
        id
        isRead
        isFlagged
        # The counts change with it: the cache updates the side list from this answer.
        mailbox {
          id
          unreadCount
          folders {
            id
            unreadCount
            totalCount
          }
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const MoveMailMutation = graphql(`
  mutation MoveMail($ids: [ID!]!, $folderId: ID!) {
    moveMail(ids: $ids, folderId: $folderId) {
      messages {
        id
        mailbox {
          id
          unreadCount
          folders {
            id
            unreadCount
            totalCount
          }
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const DeleteMailMutation = graphql(`
  mutation DeleteMail($ids: [ID!]!) {
    deleteMail(ids: $ids) {
      ids
      errors {
        code
        message
        field
      }
    }
  }
`);

export const CreateMailFolderMutation = graphql(`
  mutation CreateMailFolder($mailboxId: ID!, $name: String!) {
    createMailFolder(mailboxId: $mailboxId, name: $name) {
      folder {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const RequestMailAttachmentReleaseMutation = graphql(`
  mutation RequestMailAttachmentRelease($id: ID!) {
    requestMailAttachmentRelease(id: $id) {
      # The file's row in the open message updates in place (release requested).
      attachment {
        id
        state
        releaseRequestedAt
        url
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

// Held files for administrators (メール無害化): the list, release and delete.
export const HeldMailAttachmentsQuery = graphql(`
  query HeldMailAttachments {
    heldMailAttachments(first: 100) {
      subject
      receivedAt
      from {
        name
        address
      }
      releaseRequestedBy {
        id
        name
      }
      attachment {
        id
        name
        size
        contentType
        state
        releaseRequestedAt
      }
    }
  }
`);

export const ReleaseMailAttachmentMutation = graphql(`
  mutation ReleaseMailAttachment($id: ID!) {
    releaseMailAttachment(id: $id) {
      attachment {
        id
        state
        releaseRequestedAt
        url
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export const DeleteHeldMailAttachmentMutation = graphql(`
  mutation DeleteHeldMailAttachment($id: ID!) {
    deleteHeldMailAttachment(id: $id) {
      attachment {
        id
        state
        releaseRequestedAt
        url
      }
      errors {
        code
        message
        field
      }
    }
  }
`);
